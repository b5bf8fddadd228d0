// sync_bench: how fast records move up the hierarchy (DESIGN §7).
//
//   1. parent_ingest  — a parent Node in-process ingesting pushed batches of
//      many villages through Node::IngestPush (verify, store, fold, rollup),
//      next to raw RocksDB WriteBatches of the same envelope bytes, with
//      sync_writes true and false.
//   2. propagation    — real rectsyncd processes city → county → township →
//      village on loopback; one write at the village, timed until the city's
//      summary shows it, N times.
//   3. backlog        — a village with a large backlog written while offline;
//      time from starting its daemon until the city holds every record.
//
// Prints a table, then one JSON line per figure ({"bench":...}) for scripts.
// A benchmark, not a test: timing goals are reported, never asserted.
//
//   sync_bench [--quick] [--rectsyncd PATH] [--parts 1,2,3] ...
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include <CLI/CLI.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "node/record/keys.h"
#include "tests/bench/sync_bench.h"

namespace rectsync::bench {
namespace {

std::string Level(v1::Level level) {
  switch (level) {
    case v1::LEVEL_CITY: return "city";
    case v1::LEVEL_COUNTY: return "county";
    case v1::LEVEL_TOWNSHIP: return "township";
    default: return "village";
  }
}

}  // namespace

const std::vector<UnitSpec>& Chain() {
  static const std::vector<UnitSpec> chain = {
      {"3201", "南京市", v1::LEVEL_CITY},
      {"3201/320115", "江宁区", v1::LEVEL_COUNTY},
      {"3201/320115/320115003", "秣陵街道", v1::LEVEL_TOWNSHIP},
      {"3201/320115/320115003/320115003012", "殷巷社区", v1::LEVEL_VILLAGE},
  };
  return chain;
}

std::vector<std::string> ChainDirs(const std::string& base) {
  std::vector<std::string> dirs;
  for (const UnitSpec& u : Chain()) dirs.push_back(base + "/" + Level(u.level));
  return dirs;
}

int Main(int argc, char** argv) {
  CLI::App app{"sync_bench: parent ingest, 3-hop propagation latency, backlog catch-up"};
  BenchOptions o;
  bool quick = false;
  app.add_flag("--quick", quick, "small sizes (about half a minute)");
  app.add_option("--rectsyncd", o.rectsyncd, "rectsyncd binary (default: beside this build)");
  app.add_option("--parts", o.parts, "which parts to run: 1 ingest, 2 latency, 3 backlog")
      ->delimiter(',');
  app.add_option("--villages", o.villages, "[1] villages pushing to the parent (default 50)");
  app.add_option("--records-per-village", o.records_per_village, "[1] records each (default 1000)");
  app.add_option("--repetitions", o.repetitions, "[1] timed runs each, median reported (default 3)")
      ->check(CLI::PositiveNumber);
  app.add_option("--batch-records", o.batch_records, "records per push batch (default 500)")
      ->check(CLI::Range(1, 100000));
  app.add_option("--daemon-sync-writes", o.daemon_sync_writes,
                 "[2, 3] sync_writes in the daemons' node.toml (default true)");
  app.add_option("--samples", o.latency_samples, "[2] writes timed (default 200)");
  app.add_option("--backlog", o.backlog_records, "[3] backlog records (default 100000)");
  app.add_flag("--keep", o.keep, "keep the scratch directory (node data, daemon logs)");
  CLI11_PARSE(app, argc, argv);
  if (quick) {
    if (app.count("--villages") == 0) o.villages = 10;
    if (app.count("--records-per-village") == 0) o.records_per_village = 500;
    if (app.count("--samples") == 0) o.latency_samples = 50;
    if (app.count("--backlog") == 0) o.backlog_records = 20000;
  }
  if (o.rectsyncd.empty()) o.rectsyncd = DefaultDaemonPath();
  const bool needs_daemon =
      std::find_if(o.parts.begin(), o.parts.end(), [](int p) { return p != 1; }) != o.parts.end();
  if (needs_daemon && ::access(o.rectsyncd.c_str(), X_OK) != 0) {
    std::fprintf(stderr, "sync_bench: no rectsyncd at \"%s\" (build it, or give --rectsyncd)\n",
                 o.rectsyncd.c_str());
    return 2;
  }
  if (absl::Status s = record::InitCrypto(); !s.ok()) {
    std::fprintf(stderr, "sync_bench: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  InstallCleanupHandlers();
  ScratchDir scratch("sync_bench");
  if (o.keep) scratch.Keep();
  const unsigned cores = std::thread::hardware_concurrency();
  const std::string load_before = LoadAverage();
  std::printf("sync_bench: %u cores, load average %s, scratch %s%s\n", cores,
              load_before.c_str(), scratch.path().c_str(), o.keep ? " (kept)" : "");

  int failures = 0;
  for (int part : o.parts) {
    absl::Status s;
    const std::string base = absl::StrCat(scratch.path(), "/part", part);
    switch (part) {
      case 1: s = RunParentIngest(o, base); break;
      case 2: s = RunPropagation(o, base); break;
      case 3: s = RunBacklog(o, base); break;
      default: s = absl::InvalidArgumentError(absl::StrCat("--parts: no part ", part));
    }
    if (!s.ok()) {
      ++failures;
      std::fprintf(stderr, "sync_bench: part %d failed: %s\n", part, s.ToString().c_str());
    }
  }

  if (failures > 0 && !o.keep) {
    scratch.Keep();
    std::fprintf(stderr, "sync_bench: kept %s for inspection\n", scratch.path().c_str());
  }
  const std::string load_after = LoadAverage();
  std::printf("\n  load average at the end: %s\n\n", load_after.c_str());
  std::printf(R"({"bench":"environment","cores":%u,"loadavg_start":"%s","loadavg_end":"%s",)"
              R"("quick":%s})"
              "\n",
              cores, load_before.c_str(), load_after.c_str(), quick ? "true" : "false");
  PrintReportedJson();
  return failures == 0 ? 0 : 1;
}

}  // namespace rectsync::bench

int main(int argc, char** argv) { return rectsync::bench::Main(argc, argv); }

