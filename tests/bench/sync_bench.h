// Shared by sync_bench's parts: options, the figure table, the unit chain
// the daemon parts run. See sync_bench.cc for what is measured.
#ifndef RECTSYNC_TESTS_BENCH_SYNC_BENCH_H_
#define RECTSYNC_TESTS_BENCH_SYNC_BENCH_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tests/bench/sync_bench_util.h"

namespace rectsync::bench {

struct BenchOptions {
  // [1] villages pushing to the parent, records each; records per push
  // batch (also the daemons' batch_records in [2, 3]).
  int villages = 50;
  int records_per_village = 1000;
  int batch_records = 500;
  // [1] timed runs per configuration; the median is reported.
  int repetitions = 3;
  // [2, 3] sync_writes of the daemons (their default: true).
  bool daemon_sync_writes = true;
  // [2] writes timed through three hops.
  int latency_samples = 200;
  // [3] records written at the village while it is offline.
  int backlog_records = 100000;
  std::string rectsyncd;
  std::vector<int> parts = {1, 2, 3};
  bool keep = false;
};

// city → county → township → village, root first, and their data
// directories under `base` (base/city, base/county, ...).
const std::vector<UnitSpec>& Chain();
std::vector<std::string> ChainDirs(const std::string& base);

// The three parts; each works under its own `base` directory.
absl::Status RunParentIngest(const BenchOptions& o, const std::string& base);
absl::Status RunPropagation(const BenchOptions& o, const std::string& base);
absl::Status RunBacklog(const BenchOptions& o, const std::string& base);

}  // namespace rectsync::bench

#endif  // RECTSYNC_TESTS_BENCH_SYNC_BENCH_H_
