// The kill loop (issue 14): real rectsyncd processes city → county →
// township → three villages, an officer writing through the CLI on five of
// them, and a killer that SIGKILLs any node at random moments (parents while
// they ingest, children while they push), freezes parents with
// SIGSTOP/SIGCONT, and keeps one village offline for a long stretch while its
// officer goes on writing in-process. Every daemon killed is restarted, as
// systemd would (deploy/rectsyncd@.service), and must come back by itself.
//
// An expected-state model records every write the CLI acknowledged (exit 0
// and its JSON reply: seq and record id). After the last fault: the time
// until the city holds every unit's head is printed; then every acknowledged
// write must be at its node and at the city under the same id, each origin's
// seqs 1..head exactly once at both, every node's verify clean, and the
// city's summary of each unit equal to that unit's own.
//
// Env: CHAOS_KILLS (default 24; tests/chaos/soak.sh runs 200 or more),
// RECTSYNC_SEED (fixed unless set; =random for soak). A failure prints the
// seed that replays the schedule of faults (the writes' timing still varies).
#include <signal.h>

#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "aggregator/test_seed.h"
#include "tests/chaos/chaos.h"

namespace rectsync::testing {
namespace {

constexpr char kVillage3[] = "3201/320115/320115003/003";

TEST(KillLoopTest, NothingAcknowledgedIsLostAcrossTheHierarchy) {
  const uint64_t seed = TestSeed();
  const int kills_wanted = EnvInt("CHAOS_KILLS", 24);
  std::cout << "kill loop seed: " << seed << " (replay with RECTSYNC_SEED=" << seed
            << "), kills: " << kills_wanted << " (CHAOS_KILLS)\n";
  std::mt19937_64 rng(seed);
  auto between = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  auto pause = [](int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); };

  Cluster c;
  BuildChain(c);
  c.Add(kVillage3, "秣陵村", v1::LEVEL_VILLAGE, kTown, false);
  const std::vector<std::string> units = {kCity, kCounty, kTown, kVillage1, kVillage2, kVillage3};
  const std::vector<std::string> parents = {kCity, kCounty, kTown};
  const std::vector<std::string> writers = {kCounty, kTown, kVillage1, kVillage2, kVillage3};
  for (const std::string& u : units) {
    c.Start(u);
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
  }

  Model model;
  Officers officers(c, writers, model);

  // The faults. Village 3 goes offline for the middle half of the run.
  const auto started = SteadyClock::now();
  int kills = 0, parent_kills = 0, freezes = 0;
  double slowest_restart_s = 0, offline_s = 0;
  bool offline = false;
  SteadyClock::time_point offline_since;
  auto restart = [&](const std::string& u) {
    const auto t = SteadyClock::now();
    c.Start(u);
    slowest_restart_s = std::max(slowest_restart_s, SecondsSince(t));
  };
  while (kills < kills_wanted && !::testing::Test::HasFatalFailure()) {
    pause(between(100, 700));
    if (!offline && kills == kills_wanted / 4) {
      c.Kill(kVillage3, SIGTERM);
      offline = true;
      offline_since = SteadyClock::now();
    } else if (offline && kills == 3 * kills_wanted / 4) {
      restart(kVillage3);
      offline = false;
      offline_s = SecondsSince(offline_since);
    }
    if (between(0, 3) == 0) {
      const std::string& u = parents[between(0, parents.size() - 1)];
      const pid_t pid = c.member(u).pid;
      ::kill(pid, SIGSTOP);
      pause(between(200, 2000));
      ::kill(pid, SIGCONT);
      ++freezes;
      continue;
    }
    std::string u = units[between(0, units.size() - 1)];
    if (offline && u == kVillage3) u = kVillage2;
    c.Kill(u, SIGKILL);
    ++kills;
    parent_kills += u == kCity || u == kCounty || u == kTown;
    pause(between(0, 800));
    restart(u);
  }
  if (offline) {
    restart(kVillage3);
    offline_s = SecondsSince(offline_since);
  }
  const auto last_fault = SteadyClock::now();
  const double faults_s = SecondsSince(started);
  officers.Stop();
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  for (const std::string& u : units) ASSERT_TRUE(c.Running(u)) << u << " is not running";

  // Convergence: the city holds every unit's head as the unit itself does
  // (timed from the last fault; the officers' last commands end meanwhile).
  std::string behind;
  ASSERT_TRUE(CityHolds(c, OwnHeads(c, writers), 120000, &behind))
      << "not converged 120 s after the last fault: " << behind;
  const double converge_s = SecondsSince(last_fault);
  const Tally tally = CheckEnd(c, units, writers, model);

  std::cout << "kill loop: " << kills << " SIGKILLs (" << parent_kills << " of parents), " << freezes
            << " SIGSTOP freezes, village 3 offline " << offline_s << " s, faults over " << faults_s
            << " s; every daemon restarted (slowest start " << slowest_restart_s << " s)\n"
            << "  " << model.acks().size() << " writes acknowledged (" << model.refused()
            << " refused around the faults), " << tally.checked
            << " checked at their node and at the city: lost " << tally.lost << ", duplicated "
            << tally.duplicated << "; converged " << converge_s
            << " s after the last fault; seed " << seed << "\n";
}

}  // namespace
}  // namespace rectsync::testing
