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

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "aggregator/test_seed.h"
#include "node/record/codec.h"
#include "node/record/keys.h"
#include "node/store/store.h"
#include "tests/sync/cluster.h"

namespace rectsync::testing {
namespace {

constexpr char kVillage3[] = "3201/320115/320115003/003";

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// A write the CLI acknowledged: where, at which seq, under which id (hex).
struct Ack {
  std::string unit;
  uint64_t seq = 0;
  std::string id;
};

// What the officers were told, shared by their threads.
class Model {
 public:
  void Acknowledged(Ack a) {
    std::lock_guard<std::mutex> lock(mu_);
    acks_.push_back(std::move(a));
  }
  void Refused() { refused_.fetch_add(1); }
  void BadReply(const std::string& unit, const std::string& out) {
    std::lock_guard<std::mutex> lock(mu_);
    bad_replies_.push_back(absl::StrCat(unit, ": ", out));
  }
  std::vector<Ack> acks() const {
    std::lock_guard<std::mutex> lock(mu_);
    return acks_;
  }
  std::vector<std::string> bad_replies() const {
    std::lock_guard<std::mutex> lock(mu_);
    return bad_replies_;
  }
  uint64_t refused() const { return refused_.load(); }

 private:
  mutable std::mutex mu_;
  std::vector<Ack> acks_;
  std::vector<std::string> bad_replies_;
  std::atomic<uint64_t> refused_{0};
};

// The JSON line of an acknowledged write among the CLI's output (a wait
// message on stderr may come before it).
nlohmann::json ReplyOf(const std::string& out) {
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line[0] == '{') return nlohmann::json::parse(line, nullptr, false);
  }
  return nlohmann::json::value_t::discarded;
}

// One officer on `unit` writing through the CLI until `stop`: raises a
// problem, adds a measure to it, reports progress on it, in turn. Whatever
// serves the node answers: its daemon, or the CLI in-process while it is down.
void Officer(Cluster& c, const std::string& unit, int n, const std::atomic<bool>& stop, Model& model) {
  std::string problem, measure;
  for (uint64_t i = 1; !stop.load(); ++i) {
    std::string args;
    enum { kRaise, kMeasure, kProgress } kind;
    if (problem.empty() || i % 3 == 0) {
      kind = kRaise;
      args = absl::StrCat("--json problem raise --category 道路 --title w", n, "-", i);
    } else if (i % 3 == 1) {
      kind = kMeasure;
      args = absl::StrCat("--json measure add ", problem, " --text m", i);
    } else {
      kind = kProgress;
      args = absl::StrCat("--json progress ", problem, measure.empty() ? "" : " --measure " + measure,
                          " --note p", i, " --funds 1.25");
    }
    Ran r = c.Cli(unit, args, absl::StrCat("officer", n));
    if (r.code != 0) {
      model.Refused();
      continue;
    }
    nlohmann::json reply = ReplyOf(r.out);
    if (reply.is_discarded() || !reply.contains("seq") || !reply.contains("record_id") ||
        !reply.contains("subject")) {
      model.BadReply(unit, r.out);
      continue;
    }
    model.Acknowledged({unit, reply["seq"].get<uint64_t>(), reply["record_id"].get<std::string>()});
    if (kind == kRaise) {
      problem = reply["subject"].get<std::string>();
      measure.clear();
    } else if (kind == kMeasure) {
      measure = reply["subject"].get<std::string>();
    }
  }
}

int KillsWanted() {
  const char* env = std::getenv("CHAOS_KILLS");
  return env != nullptr && std::atoi(env) > 0 ? std::atoi(env) : 24;
}

// The counters a summary answers with, for comparing two nodes' views.
std::string Counts(const v1::Summary& s) {
  std::string out = absl::StrCat("problems ", s.problems(), ", measures ", s.measures(), " (",
                                 s.measures_done(), " done), violations ", s.violations(), ",");
  for (const auto& [status, n] : std::map<std::string, int64_t>(s.by_status().begin(), s.by_status().end())) {
    absl::StrAppend(&out, " ", status, " ", n);
  }
  return out;
}

// Seqs 1..head of `origin` in `store`, each once: the first gap or repeat.
std::string ChainGap(const store::Store& store, const std::string& origin, uint64_t head,
                     std::map<uint64_t, std::string>* ids) {
  uint64_t want = 1;
  std::string gap;
  absl::Status s = store.ScanOrigin(origin, 1, [&](uint64_t seq, const v1::Record& env) {
    if (seq != want) {
      gap = absl::StrCat(origin, ": seq ", seq, " where ", want, " was due");
      return false;
    }
    (*ids)[seq] = record::ToHex(record::RecordId(env));
    ++want;
    return true;
  });
  if (!s.ok()) return std::string(s.message());
  if (gap.empty() && want != head + 1) gap = absl::StrCat(origin, ": seqs end at ", want - 1, ", head is ", head);
  return gap;
}

TEST(KillLoopTest, NothingAcknowledgedIsLostAcrossTheHierarchy) {
  const uint64_t seed = TestSeed();
  const int kills_wanted = KillsWanted();
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
  std::atomic<bool> stop{false};
  std::vector<std::thread> officers;
  for (size_t i = 0; i < writers.size(); ++i) {
    officers.emplace_back(Officer, std::ref(c), writers[i], static_cast<int>(i + 1), std::cref(stop),
                          std::ref(model));
  }

  // The faults. Village 3 goes offline for the middle half of the run.
  const auto started = Clock::now();
  int kills = 0, parent_kills = 0, freezes = 0;
  double slowest_restart_s = 0, offline_s = 0;
  bool offline = false;
  Clock::time_point offline_since;
  auto restart = [&](const std::string& u) {
    const auto t = Clock::now();
    c.Start(u);
    slowest_restart_s = std::max(slowest_restart_s, SecondsSince(t));
  };
  while (kills < kills_wanted && !::testing::Test::HasFatalFailure()) {
    pause(between(100, 700));
    if (!offline && kills == kills_wanted / 4) {
      c.Kill(kVillage3, SIGTERM);
      offline = true;
      offline_since = Clock::now();
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
  const auto last_fault = Clock::now();
  const double faults_s = SecondsSince(started);
  stop = true;
  for (std::thread& t : officers) t.join();
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  for (const std::string& u : units) ASSERT_TRUE(c.Running(u)) << u << " is not running";

  const std::vector<Ack> acks = model.acks();
  EXPECT_TRUE(model.bad_replies().empty()) << "acknowledged without a valid reply: " << model.bad_replies()[0];
  std::map<std::string, size_t> acks_at;
  for (const Ack& a : acks) ++acks_at[a.unit];
  for (const std::string& u : writers) EXPECT_GT(acks_at[u], 0u) << "no write acknowledged on " << u;

  // Convergence: the city holds every unit's head as the unit itself does
  // (timed from the last fault; the officers' last commands end meanwhile).
  std::unique_ptr<cli::NodeClient> city = c.Client(kCity);
  std::map<std::string, std::unique_ptr<cli::NodeClient>> clients;
  for (const std::string& u : writers) clients[u] = c.Client(u);
  std::string behind;
  const bool converged = WaitFor([&] {
    for (const std::string& u : writers) {
      const uint64_t own = HeadAt(*clients[u], u), above = HeadAt(*city, u);
      if (own != above) {
        behind = absl::StrCat(u, " at ", own, ", the city holds ", above);
        return false;
      }
    }
    return true;
  }, 120000);
  const double converge_s = SecondsSince(last_fault);
  ASSERT_TRUE(converged) << "not converged 120 s after the last fault: " << behind;

  for (const std::string& u : units) {
    std::unique_ptr<cli::NodeClient> at = u == kCity ? nullptr : c.Client(u);
    v1::VerifyReply v = Verify(at ? *at : *city);
    EXPECT_TRUE(v.ok()) << u << ": verify: " << v.first_bad_origin() << "#" << v.first_bad_seq() << " " << v.reason();
    if (!at) continue;
    EXPECT_EQ(Counts(Summary(*city, u)), Counts(Summary(*at, u))) << "the city's summary of " << u;
  }
  city.reset();
  clients.clear();

  // The model, against each store in-process (every daemon stopped cleanly).
  for (const std::string& u : units) c.Kill(u, SIGTERM);
  std::unique_ptr<node::Node> city_node = c.OpenNode(kCity);
  uint64_t checked = 0, lost = 0, duplicated = 0;
  std::set<std::pair<std::string, uint64_t>> seen;
  for (const std::string& u : writers) {
    std::unique_ptr<node::Node> own = c.OpenNode(u);
    absl::StatusOr<store::Head> head = own->store()->GetHead(u);
    ASSERT_TRUE(head.ok()) << head.status();
    std::map<uint64_t, std::string> at_node, at_city;
    EXPECT_EQ(ChainGap(*own->store(), u, head->seq, &at_node), "") << "at its node";
    EXPECT_EQ(ChainGap(*city_node->store(), u, head->seq, &at_city), "") << "at the city";
    // A record held twice would show as one id at two seqs.
    for (const auto* held : {&at_node, &at_city}) {
      std::set<std::string> distinct;
      for (const auto& [seq, id] : *held) distinct.insert(id);
      duplicated += held->size() - distinct.size();
    }
    for (const Ack& a : acks) {
      if (a.unit != u) continue;
      ++checked;
      duplicated += !seen.emplace(a.unit, a.seq).second;
      const bool here = at_node.count(a.seq) && at_node[a.seq] == a.id;
      const bool above = at_city.count(a.seq) && at_city[a.seq] == a.id;
      if (!here || !above) {
        ++lost;
        ADD_FAILURE() << u << "#" << a.seq << " acknowledged as " << a.id << ": at its node "
                      << (at_node.count(a.seq) ? at_node[a.seq] : "missing") << ", at the city "
                      << (at_city.count(a.seq) ? at_city[a.seq] : "missing");
      }
    }
  }
  EXPECT_EQ(lost, 0u);
  EXPECT_EQ(duplicated, 0u);

  std::cout << "kill loop: " << kills << " SIGKILLs (" << parent_kills << " of parents), " << freezes
            << " SIGSTOP freezes, village 3 offline " << offline_s << " s, faults over " << faults_s
            << " s; every daemon restarted (slowest start " << slowest_restart_s << " s)\n"
            << "  " << acks.size() << " writes acknowledged (" << model.refused()
            << " refused around the faults), " << checked << " checked at their node and at the city: lost "
            << lost << ", duplicated " << duplicated << "; converged " << converge_s
            << " s after the last fault; seed " << seed << "\n";
}

}  // namespace
}  // namespace rectsync::testing
