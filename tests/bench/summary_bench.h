// Shared by summary_bench's parts: options, the units of each level, the
// summary request every part sends. See summary_bench.cc for what is
// measured.
#ifndef RECTSYNC_TESTS_BENCH_SUMMARY_BENCH_H_
#define RECTSYNC_TESTS_BENCH_SUMMARY_BENCH_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tests/bench/summary_bench_ledger.h"
#include "tests/bench/sync_bench_util.h"

namespace rectsync::bench {

struct SummaryBenchOptions {
  LedgerShape shape;
  // [2] GetSummary calls timed, levels in turn.
  int queries = 2000;
  // [3] units summarised by scan-and-fold and compared (city, then 3:6:10
  // counties, townships, villages for 20).
  int scan_samples = 20;
  // [4] summaries asked of rectsyncd over its admin socket.
  int daemon_queries = 20;
  uint32_t seed = 0;  // 0: from the clock
  std::string rectsyncd;
  bool memory = true;  // run [4] and [5]
  // [5] console page requests, and CLI processes run for the same queries.
  int console_queries = 200;
  int cli_queries = 20;
  bool keep = false;
};

inline constexpr const char* kLevels[] = {"city", "county", "township", "village"};

// Units of each level, city first (indexed like kLevels).
std::vector<std::vector<std::string>> UnitsByLevel(const CityLedger& l);

// A summary of `unit` on `today` with its per-child rows.
v1::SummaryRequest Request(const std::string& unit, const std::string& today);

// [4] Starts rectsyncd on the city's data directory (the store closed),
// asks it for summaries, and reports its VmRSS/VmHWM and the database size.
absl::Status RunMemory(const SummaryBenchOptions& o, const CityLedger& l, int64_t records_held,
                       const std::string& today, std::mt19937* rng);

// [5] Starts rectsyncd with its web console on the city's data and times
// the overview and 50-row ledger pages against the same queries by CLI.
absl::Status RunConsole(const SummaryBenchOptions& o, const CityLedger& l, std::mt19937* rng);

// [6] An idle child's handshake at the city, without and with the digest of
// its frontier, for a unit of each level; the city's attestation bytes, its
// whole frontier and then what moved. Writes an attestation and a record.
absl::Status RunIdle(const CityLedger& l, node::Node* city);

}  // namespace rectsync::bench

#endif  // RECTSYNC_TESTS_BENCH_SUMMARY_BENCH_H_
