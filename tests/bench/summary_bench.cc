// summary_bench: summaries from incremental rollups at a city holding its
// whole hierarchy (DESIGN §8), and the memory of a node holding a million
// records.
//
//   1. build   — a city's store filled through Node::IngestPush with 5,000
//      villages x 50 problems under 50 townships under 5 counties, every
//      record signed by its own unit (summary_bench_ledger.h).
//   2. query   — Node::GetSummary(children = true) at the city for random
//      units of each level: p50/p99/max.
//   3. scan    — the same answers recomputed for a sample of units by
//      scanning every problem of the subtree (Store::ScanProblems) and
//      folding aggregator::Contribution; must equal the rollup answers
//      (the bench fails loudly otherwise); scan time / rollup time.
//   4. memory  — a real rectsyncd on the city's data directory: VmRSS and
//      VmHWM after start-up and a few summaries over its admin socket, and
//      the size of the database on disk.
//   6. idle    — a child's heartbeat handshake and the city's attestation
//      by subtree size (summary_bench_idle.cc); runs right after 3.
//
// Prints a table, then one JSON line per figure ({"bench":...}) for scripts.
// A benchmark, not a test: timing goals are reported, never asserted; a
// wrong answer is an error.
//
//   summary_bench [--quick] [--villages N] [--problems N] [--queries N] ...
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <thread>

#include <CLI/CLI.hpp>
#include <google/protobuf/util/message_differencer.h>
#include <rocksdb/db.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "aggregator/date.h"
#include "aggregator/rollup.h"
#include "aggregator/status_macros.h"
#include "aggregator/unit_id.h"
#include "node/record/keys.h"
#include "tests/bench/summary_bench.h"

namespace rectsync::bench {

std::vector<std::vector<std::string>> UnitsByLevel(const CityLedger& l) {
  return {{l.city}, l.counties, l.townships, l.villages};
}

v1::SummaryRequest Request(const std::string& unit, const std::string& today) {
  v1::SummaryRequest req;
  req.set_unit(unit);
  req.set_today(today);
  req.set_children(true);
  return req;
}

namespace {

// Waits until RocksDB has no flush or compaction running or pending in any
// column family, so that the queries see the store a serving node would
// have settled to rather than the tail of the bulk ingest. Returns the
// seconds waited (at most `limit_s`).
double WaitForCompactions(store::Store* store, double limit_s) {
  const auto start = SteadyClock::now();
  rocksdb::DB* db = store->db();
  auto busy = [&] {
    uint64_t v = 0;
    for (const char* p : {"rocksdb.num-running-compactions", "rocksdb.num-running-flushes"}) {
      if (db->GetIntProperty(p, &v) && v > 0) return true;
    }
    for (const char* cf : {"records", "heads", "forks", "problems", "rollups", "index", "peers",
                           "meta"}) {
      rocksdb::ColumnFamilyHandle* h = store->column_family(cf);
      if (h == nullptr) continue;
      for (const char* p : {"rocksdb.compaction-pending", "rocksdb.mem-table-flush-pending"}) {
        if (db->GetIntProperty(h, p, &v) && v > 0) return true;
      }
    }
    return false;
  };
  while (busy() && MillisSince(start) < limit_s * 1000) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return MillisSince(start) / 1000;
}

// --- 2. Query latency ------------------------------------------------------

absl::Status RunQueries(const SummaryBenchOptions& o, const CityLedger& l, node::Node* city,
                        const std::string& today, std::mt19937* rng) {
  std::printf("\n[2] GetSummary(children) at the city, %d queries, level round-robin, "
              "random unit\n", o.queries);
  const auto units = UnitsByLevel(l);
  std::vector<double> all;
  std::vector<std::vector<double>> by_level(4);
  std::vector<size_t> children(4);
  for (int i = 0; i < o.queries; ++i) {
    const int level = i % 4;
    const auto& pool = units[level];
    const std::string& unit = pool[std::uniform_int_distribution<size_t>(0, pool.size() - 1)(*rng)];
    const auto start = SteadyClock::now();
    ASSIGN_OR_RETURN(v1::Summary s, city->GetSummary(Request(unit, today)));
    const double ms = MillisSince(start);
    if (s.problems() == 0) return absl::InternalError(absl::StrCat("no problems counted for ", unit));
    all.push_back(ms);
    by_level[level].push_back(ms);
    children[level] = std::max(children[level], static_cast<size_t>(s.children_size()));
  }
  std::string levels_json;
  for (int level = 0; level < 4; ++level) {
    auto& v = by_level[level];
    const double p50 = Percentile(&v, 50), p99 = Percentile(&v, 99);
    Report(absl::StrFormat("  %s (%zu units, %zu children rows)", kLevels[level],
                           units[level].size(), children[level]),
           absl::StrFormat("p50 %.3f ms, p99 %.3f ms, max %.3f ms", p50, p99, v.back()), "");
    absl::StrAppend(&levels_json, absl::StrFormat(R"(,"%s_p50_ms":%.3f,"%s_p99_ms":%.3f)",
                                                  kLevels[level], p50, kLevels[level], p99));
  }
  // Where a township's time goes: the store reads of its rollup and its
  // children's (ChildUnits, one GetRollup each), without the rest of
  // GetSummary (SummaryCounters' summary-only lookups, Summarize).
  std::vector<double> reads;
  for (int i = 0; i < std::min(o.queries / 4, 200); ++i) {
    const auto& pool = units[2];
    const std::string& unit = pool[std::uniform_int_distribution<size_t>(0, pool.size() - 1)(*rng)];
    const auto start = SteadyClock::now();
    RETURN_IF_ERROR(city->store()->GetRollup(unit).status());
    ASSIGN_OR_RETURN(std::vector<std::string> kids, city->store()->ChildUnits(unit));
    for (const std::string& kid : kids) RETURN_IF_ERROR(city->store()->GetRollup(kid).status());
    reads.push_back(MillisSince(start));
  }
  const double reads50 = Percentile(&reads, 50);
  Report("  township: its store reads alone",
         absl::StrFormat("p50 %.3f ms, p99 %.3f ms", reads50, Percentile(&reads, 99)), "");
  absl::StrAppend(&levels_json, absl::StrFormat(R"(,"township_rollup_reads_p50_ms":%.3f)", reads50));
  const double p50 = Percentile(&all, 50), p99 = Percentile(&all, 99), max = all.back();
  Report("summary query p50, all levels", absl::StrFormat("%.3f ms", p50), "");
  Report("summary query p99, all levels (goal < 5 ms)",
         absl::StrFormat("%.3f ms%s", p99, p99 < 5 ? "" : "  (above goal)"), "");
  Report("summary query max", absl::StrFormat("%.3f ms", max),
         absl::StrFormat(R"({"bench":"summary_query","villages":%d,"problems_per_village":%d,)"
                         R"("records":%d,"queries":%d,"p50_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f%s,)"
                         R"("goal_p99_ms":5})",
                         static_cast<int>(l.villages.size()), o.shape.problems, l.records,
                         o.queries, p50, p99, max, levels_json));
  return absl::OkStatus();
}

// --- 3. Scan versus rollup -------------------------------------------------

// The summary of `unit` recomputed from every problem of its subtree, with
// one child row per child unit that has problems, as Node::GetSummary
// shapes it.
absl::StatusOr<v1::Summary> ScanSummary(const store::Store& store, const std::string& unit,
                                        int64_t today, const aggregator::SummaryOptions& opts) {
  aggregator::Counters total;
  std::map<std::string, aggregator::Counters> per_child;
  RETURN_IF_ERROR(store.ScanProblems(unit, [&](const v1::ProblemState& p) {
    aggregator::Counters c = aggregator::Contribution(p);
    aggregator::Accumulate(c, &total);
    if (p.unit() != unit) {
      aggregator::Accumulate(c, &per_child[aggregator::ChildToward(p.unit(), unit)]);
    }
    return true;
  }));
  aggregator::Prune(&total);
  v1::Summary s = aggregator::Summarize(unit, total, today, opts);
  s.set_rate_gap(s.claimed_rate() - s.verified_rate());
  for (auto& [child, c] : per_child) {
    aggregator::Prune(&c);
    if (!c.empty()) *s.add_children() = aggregator::Summarize(child, c, today, opts);
  }
  return s;
}

absl::Status RunScan(const SummaryBenchOptions& o, const CityLedger& l, node::Node* city,
                     const std::string& today, std::mt19937* rng) {
  // The sample: the city, then counties, townships and villages, 1:3:6:10
  // for 20 units.
  const auto units = UnitsByLevel(l);
  std::vector<std::pair<int, std::string>> sample;
  const int want[] = {1, std::max(1, o.scan_samples * 3 / 20), std::max(1, o.scan_samples * 6 / 20),
                      std::max(1, o.scan_samples - 1 - o.scan_samples * 3 / 20 -
                                      o.scan_samples * 6 / 20)};
  for (int level = 0; level < 4; ++level) {
    std::vector<std::string> pool = units[level];
    std::shuffle(pool.begin(), pool.end(), *rng);
    for (int i = 0; i < want[level] && i < static_cast<int>(pool.size()); ++i) {
      sample.emplace_back(level, pool[i]);
    }
  }
  std::printf("\n[3] scan-and-fold versus rollup, %zu units (each answer compared)\n",
              sample.size());
  ASSIGN_OR_RETURN(int64_t today_days, aggregator::ParseDate(today));
  aggregator::SummaryOptions opts;
  opts.yellow_days = city->options().yellow_days;
  std::vector<double> scan_all, rollup_all, ratio_all;
  std::vector<std::vector<double>> scan_by(4), rollup_by(4);
  for (const auto& [level, unit] : sample) {
    auto start = SteadyClock::now();
    ASSIGN_OR_RETURN(v1::Summary scanned, ScanSummary(*city->store(), unit, today_days, opts));
    const double scan_ms = MillisSince(start);
    // Rollup: the best of 3, so the ratio compares like with like (warm).
    double rollup_ms = 1e9;
    v1::Summary rolled;
    for (int rep = 0; rep < 3; ++rep) {
      start = SteadyClock::now();
      ASSIGN_OR_RETURN(rolled, city->GetSummary(Request(unit, today)));
      rollup_ms = std::min(rollup_ms, MillisSince(start));
    }
    rolled.clear_as_of_ms();
    rolled.clear_answered_by();
    std::string diff;
    google::protobuf::util::MessageDifferencer differ;
    differ.ReportDifferencesToString(&diff);
    if (!differ.Compare(scanned, rolled)) {
      return absl::InternalError(absl::StrCat("MISMATCH for ", unit,
                                              ": rollup answer differs from the scan:\n", diff));
    }
    scan_all.push_back(scan_ms);
    rollup_all.push_back(rollup_ms);
    ratio_all.push_back(scan_ms / rollup_ms);
    scan_by[level].push_back(scan_ms);
    rollup_by[level].push_back(rollup_ms);
  }
  std::string levels_json;
  for (int level = 0; level < 4; ++level) {
    if (scan_by[level].empty()) continue;
    const double s50 = Percentile(&scan_by[level], 50), r50 = Percentile(&rollup_by[level], 50);
    Report(absl::StrFormat("  %s: scan p50 / rollup p50 (%zu units)", kLevels[level],
                           scan_by[level].size()),
           absl::StrFormat("%.2f ms / %.3f ms = %.0fx", s50, r50, s50 / r50), "");
    absl::StrAppend(&levels_json,
                    absl::StrFormat(R"(,"%s_scan_p50_ms":%.3f,"%s_rollup_p50_ms":%.3f)",
                                    kLevels[level], s50, kLevels[level], r50));
  }
  const double scan50 = Percentile(&scan_all, 50), roll50 = Percentile(&rollup_all, 50);
  const double ratio50 = Percentile(&ratio_all, 50);
  Report("answers equal (scan vs rollup)", absl::StrFormat("%zu of %zu", sample.size(), sample.size()),
         "");
  Report("scan p50 / rollup p50, all sampled units",
         absl::StrFormat("%.2f ms / %.3f ms", scan50, roll50), "");
  Report("ratio scan/rollup, median per unit", absl::StrFormat("%.0fx", ratio50),
         absl::StrFormat(R"({"bench":"summary_scan","units":%zu,"scan_p50_ms":%.3f,)"
                         R"("rollup_p50_ms":%.3f,"ratio_p50":%.1f,"city_scan_ms":%.1f%s,)"
                         R"("all_equal":true})",
                         sample.size(), scan50, roll50, ratio50, scan_by[0].front(), levels_json));
  return absl::OkStatus();
}

// --- Driver ----------------------------------------------------------------

absl::Status Run(const SummaryBenchOptions& o, const std::string& base, std::mt19937* rng) {
  std::printf("\n[1] build: %d villages x %d problems under %d townships, %d counties, "
              "through Node::IngestPush\n",
              o.shape.villages, o.shape.problems, std::min(o.shape.townships, o.shape.villages),
              std::min({o.shape.counties, o.shape.townships, o.shape.villages}));
  ASSIGN_OR_RETURN(CityLedger l, BuildCityLedger(o.shape, base + "/city"));
  Report("records generated, signed, ingested",
         absl::StrFormat("%lld in %.1f s (%.0f rec/s; IngestPush %.1f s)",
                         static_cast<long long>(l.records), l.seconds, l.records / l.seconds,
                         l.ingest_seconds),
         absl::StrFormat(R"({"bench":"summary_build","villages":%zu,"problems":%lld,)"
                         R"("records":%lld,"push_batches":%lld,"seconds":%.1f,)"
                         R"("ingest_seconds":%.1f,"ingest_records_per_s":%.0f})",
                         l.villages.size(), static_cast<long long>(l.problems),
                         static_cast<long long>(l.records), static_cast<long long>(l.push_batches),
                         l.seconds, l.ingest_seconds, l.records / l.ingest_seconds));
  int64_t held = 0;
  std::string today;
  {
    // Reopened as a daemon would open it (its node.toml: sync_writes on).
    ASSIGN_OR_RETURN(std::unique_ptr<node::Node> city, OpenNode(l.dir, /*sync_writes=*/true));
    today = city->Today();
    ASSIGN_OR_RETURN(auto heads, city->store()->Heads());
    for (const auto& [origin, head] : heads) held += static_cast<int64_t>(head.seq);
    ASSIGN_OR_RETURN(v1::Summary top, city->GetSummary(Request(l.city, today)));
    if (top.problems() != l.problems || top.violations() != 0) {
      return absl::InternalError(absl::StrCat("the city counts ", top.problems(), " problems and ",
                                              top.violations(), " violations; expected ",
                                              l.problems, " and 0"));
    }
    std::string statuses;
    for (const char* k : {"open", "in_progress", "claimed", "accepted", "closed"}) {
      auto it = top.by_status().find(k);
      absl::StrAppend(&statuses, statuses.empty() ? "" : ", ", k, " ",
                      it == top.by_status().end() ? 0 : it->second);
    }
    Report("records held at the city (all origins)", absl::StrCat(held), "");
    Report("waited for RocksDB compactions to settle",
           absl::StrFormat("%.1f s", WaitForCompactions(city->store(), 300)), "");
    Report("problems by status", statuses, "");
    RETURN_IF_ERROR(RunQueries(o, l, city.get(), today, rng));
    RETURN_IF_ERROR(RunScan(o, l, city.get(), today, rng));
    RETURN_IF_ERROR(RunIdle(l, city.get()));
  }
  if (!o.memory) return absl::OkStatus();
  RETURN_IF_ERROR(RunMemory(o, l, held, today, rng));
  return RunConsole(o, l, rng);
}

int Main(int argc, char** argv) {
  CLI::App app{"summary_bench: rollup summaries at a city of 5,000 villages; node memory"};
  SummaryBenchOptions o;
  bool quick = false, no_memory = false;
  app.add_flag("--quick", quick, "small sizes (500 villages x 20 problems, about a minute)");
  app.add_option("--villages", o.shape.villages, "villages (default 5000)")
      ->check(CLI::PositiveNumber);
  app.add_option("--problems", o.shape.problems, "problems per village (default 50)")
      ->check(CLI::PositiveNumber);
  app.add_option("--townships", o.shape.townships, "townships (default 50)")
      ->check(CLI::PositiveNumber);
  app.add_option("--counties", o.shape.counties, "counties (default 5)")->check(CLI::PositiveNumber);
  app.add_option("--queries", o.queries, "[2] summary queries timed (default 2000)")
      ->check(CLI::PositiveNumber);
  app.add_option("--scan-samples", o.scan_samples, "[3] units scanned and compared (default 20)")
      ->check(CLI::Range(4, 1000));
  app.add_option("--daemon-queries", o.daemon_queries, "[4] summaries through rectsyncd (default 20)")
      ->check(CLI::PositiveNumber);
  app.add_option("--console-queries", o.console_queries, "[5] console page requests of each kind (default 200)")
      ->check(CLI::PositiveNumber);
  app.add_option("--cli-queries", o.cli_queries, "[5] CLI processes of each kind (default 20)")
      ->check(CLI::PositiveNumber);
  app.add_option("--seed", o.seed, "unit choice seed (default: from the clock; printed)");
  app.add_option("--rectsyncd", o.rectsyncd, "rectsyncd binary (default: beside this build)");
  app.add_flag("--no-memory", no_memory, "skip [4] and [5], the rectsyncd memory and console figures");
  app.add_flag("--keep", o.keep, "keep the scratch directory (the city's data)");
  CLI11_PARSE(app, argc, argv);
  o.memory = !no_memory;
  if (quick) {
    if (app.count("--villages") == 0) o.shape.villages = 500;
    if (app.count("--problems") == 0) o.shape.problems = 20;
    if (app.count("--queries") == 0) o.queries = 500;
  }
  if (o.seed == 0) o.seed = static_cast<uint32_t>(std::random_device()());
  if (o.rectsyncd.empty()) o.rectsyncd = DefaultDaemonPath();
  if (o.memory && ::access(o.rectsyncd.c_str(), X_OK) != 0) {
    std::fprintf(stderr, "summary_bench: no rectsyncd at \"%s\" (build it, give --rectsyncd, or "
                 "--no-memory)\n", o.rectsyncd.c_str());
    return 2;
  }
  if (absl::Status s = record::InitCrypto(); !s.ok()) {
    std::fprintf(stderr, "summary_bench: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  InstallCleanupHandlers();
  ScratchDir scratch("summary_bench");
  if (o.keep) scratch.Keep();
  const unsigned cores = std::thread::hardware_concurrency();
  const std::string load_before = LoadAverage();
  std::printf("summary_bench: %u cores, load average %s, seed %u, scratch %s%s\n", cores,
              load_before.c_str(), o.seed, scratch.path().c_str(), o.keep ? " (kept)" : "");
  std::mt19937 rng(o.seed);
  const absl::Status s = Run(o, scratch.path(), &rng);
  if (!s.ok()) {
    std::fprintf(stderr, "summary_bench: FAILED: %s\n", s.ToString().c_str());
    if (!o.keep) {
      scratch.Keep();
      std::fprintf(stderr, "summary_bench: kept %s for inspection\n", scratch.path().c_str());
    }
  }
  const std::string load_after = LoadAverage();
  std::printf("\n  load average at the end: %s\n\n", load_after.c_str());
  std::printf(R"({"bench":"summary_environment","cores":%u,"loadavg_start":"%s",)"
              R"("loadavg_end":"%s","seed":%u,"quick":%s,"ok":%s})"
              "\n",
              cores, load_before.c_str(), load_after.c_str(), o.seed, quick ? "true" : "false",
              s.ok() ? "true" : "false");
  PrintReportedJson();
  return s.ok() ? 0 : 1;
}

}  // namespace
}  // namespace rectsync::bench

int main(int argc, char** argv) { return rectsync::bench::Main(argc, argv); }
