// summary_bench's data: one city node's store holding a whole hierarchy's
// ledgers (counties, townships, villages; each village with its problems,
// measures, progress and claims, the townships' reviews of those claims and
// the counties' closings), written through the city's real ingest path,
// Node::IngestPush, as its counties would push them. Every record is
// signed with its own unit's key (generated in-process), hash-linked in its
// origin's log, enrolled down the chain city → county → township → village,
// and valid under the fold's authority rules, so the store ends up as a
// city's would after syncing the real units.
//
// Benchmark code only; single-threaded use (a second thread of its own
// signs the next township while the city ingests the current one).
#ifndef RECTSYNC_TESTS_BENCH_SUMMARY_BENCH_LEDGER_H_
#define RECTSYNC_TESTS_BENCH_SUMMARY_BENCH_LEDGER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace rectsync::bench {

struct LedgerShape {
  // Counties under the city. Default 5.
  int counties = 5;
  // Townships, spread evenly over the counties. Default 50.
  int townships = 50;
  // Villages, spread evenly over the townships. Default 5000.
  int villages = 5000;
  // Problems per village. Default 50.
  int problems = 50;
};

struct CityLedger {
  std::string dir;  // the city node's data directory
  std::string city;
  // Unit ids by level; townships[i] lies under counties[i * counties / townships].
  std::vector<std::string> counties, townships, villages;
  int64_t records = 0;   // records ingested (the city's own enrolments aside)
  int64_t problems = 0;  // problems raised
  int64_t push_batches = 0;
  double seconds = 0;         // wall time to generate, sign and ingest
  double ingest_seconds = 0;  // of which the city spent in Node::IngestPush
};

// Initialises `dir` as the city root and fills its store (opened with
// sync_writes = false) as described above. Prints a progress line now and
// then. Fails with the first refused push.
absl::StatusOr<CityLedger> BuildCityLedger(const LedgerShape& shape, const std::string& dir);

}  // namespace rectsync::bench

#endif  // RECTSYNC_TESTS_BENCH_SUMMARY_BENCH_LEDGER_H_
