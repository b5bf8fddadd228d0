// Partitions between levels (issue 14), real ones: every link of city →
// county → township → villages runs through a TCP proxy (tcp_proxy.h) that
// the test cuts while officers write on four units: a stall (bytes queue up
// and nothing answers, as behind a pulled cable), a reset of every
// connection and each new one, or a delay on every chunk. After each heal
// the time until the city holds what every unit held at the heal is
// printed; at the end the model of acknowledged writes is checked as in the
// kill loop.
//
// Env: CHAOS_CUTS (default 4), CHAOS_CUT_MIN_S / CHAOS_CUT_MAX_S (5 / 10;
// tests/chaos/soak.sh runs 5 / 120), RECTSYNC_SEED.
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "aggregator/test_seed.h"
#include "tests/chaos/chaos.h"
#include "tests/chaos/tcp_proxy.h"

namespace rectsync::testing {
namespace {

const char* ModeName(TcpProxy::Mode m, int delay_ms) {
  if (delay_ms > 0) return "delay";
  return m == TcpProxy::Mode::kStall ? "stall" : "reset";
}

TEST(PartitionTest, EveryNodeConvergesAfterEachHeal) {
  const uint64_t seed = TestSeed();
  const int cuts = EnvInt("CHAOS_CUTS", 4);
  const int min_s = EnvInt("CHAOS_CUT_MIN_S", 5), max_s = std::max(min_s, EnvInt("CHAOS_CUT_MAX_S", 10));
  std::cout << "partition seed: " << seed << " (replay with RECTSYNC_SEED=" << seed << "), cuts: " << cuts
            << " of " << min_s << "-" << max_s << " s\n";
  std::mt19937_64 rng(seed);
  auto between = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };

  Cluster c;
  BuildChain(c);
  const std::vector<std::string> units = {kCity, kCounty, kTown, kVillage1, kVillage2};
  const std::vector<std::string> writers = {kCounty, kTown, kVillage1, kVillage2};
  // Each child reaches its parent through a proxy of its own.
  std::map<std::string, std::unique_ptr<TcpProxy>> link;  // child → its uplink
  for (const std::string& u : units) {
    const Member& m = c.member(u);
    if (m.parent.empty()) continue;
    link[u] = std::make_unique<TcpProxy>(c.member(m.parent).port);
    c.Configure(u, {{"parent", absl::StrCat("'127.0.0.1:", link[u]->port(), "'")}});
  }
  for (const std::string& u : units) {
    c.Start(u);
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
  }

  Model model;
  Officers officers(c, writers, model);
  std::vector<std::string> report;
  double slowest_heal_s = 0;
  uint64_t lacking_total = 0;
  for (int i = 0; i < cuts; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(between(500, 2000)));
    auto it = std::next(link.begin(), between(0, static_cast<int>(link.size()) - 1));
    TcpProxy& proxy = *it->second;
    const int kind = between(0, 2);
    const TcpProxy::Mode mode = kind == 0 ? TcpProxy::Mode::kStall : TcpProxy::Mode::kReset;
    const int delay_ms = kind == 2 ? between(200, 1000) : 0;
    const int cut_s = between(min_s, max_s);
    if (delay_ms > 0) {
      proxy.SetDelay(delay_ms);
    } else {
      proxy.Set(mode);
    }
    std::this_thread::sleep_for(std::chrono::seconds(cut_s));
    // What every unit holds at the heal: the city must come to hold it.
    const std::map<std::string, uint64_t> held = OwnHeads(c, writers);
    // How far behind the cut left the city: a cut that lost nothing would
    // prove nothing.
    uint64_t lacking = 0;
    {
      std::unique_ptr<cli::NodeClient> city = c.Client(kCity);
      for (const auto& [u, seq] : held) lacking += seq - std::min(seq, HeadAt(*city, u));
    }
    lacking_total += lacking;
    proxy.SetDelay(0);
    proxy.Set(TcpProxy::Mode::kForward);
    const auto healed = SteadyClock::now();
    std::string behind;
    ASSERT_TRUE(CityHolds(c, held, 120000, &behind))
        << "cut " << i + 1 << " of " << it->first << "'s uplink: not converged 120 s after the heal: "
        << behind;
    const double heal_s = SecondsSince(healed);
    slowest_heal_s = std::max(slowest_heal_s, heal_s);
    report.push_back(absl::StrCat("  cut ", i + 1, ": ", it->first, " → its parent, ", ModeName(mode, delay_ms),
                                  delay_ms > 0 ? absl::StrCat(" ", delay_ms, " ms") : "", " for ", cut_s,
                                  " s; the city lacked ", lacking, " records at the heal and held them ", heal_s,
                                  " s after it"));
  }
  officers.Stop();
  EXPECT_GT(lacking_total, 0u) << "no cut kept a record from the city";
  std::string behind;
  ASSERT_TRUE(CityHolds(c, OwnHeads(c, writers), 120000, &behind)) << "not converged at the end: " << behind;
  const Tally tally = CheckEnd(c, units, writers, model);

  uint64_t connections = 0;
  for (const auto& [child, proxy] : link) connections += proxy->connections();
  std::cout << "partitions: " << cuts << " cuts, slowest heal " << slowest_heal_s << " s, "
            << connections << " connections through the proxies\n";
  for (const std::string& line : report) std::cout << line << "\n";
  std::cout << "  " << model.acks().size() << " writes acknowledged (" << model.refused() << " refused), "
            << tally.checked << " checked at their node and at the city: lost " << tally.lost
            << ", duplicated " << tally.duplicated << "; seed " << seed << "\n";
}

}  // namespace
}  // namespace rectsync::testing
