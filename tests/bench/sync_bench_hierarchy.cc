// sync_bench parts 2 and 3: real rectsyncd processes city → county →
// township → village on loopback; write latency through three hops, and a
// village's offline backlog catching up.
#include <chrono>
#include <cstdio>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "aggregator/status_macros.h"
#include "tests/bench/sync_bench.h"

namespace rectsync::bench {
namespace {

// --- Daemon hierarchies ----------------------------------------------------

// Sets up the four-unit chain in `base` and writes each node.toml for
// loopback plaintext sync (o.daemon_sync_writes, o.batch_records).
absl::StatusOr<std::vector<std::string>> PrepareHierarchy(const BenchOptions& o,
                                                          const std::string& base) {
  std::vector<std::string> dirs = ChainDirs(base);
  RETURN_IF_ERROR(BuildChain(Chain(), dirs));
  std::string parent;
  for (size_t i = 0; i < dirs.size(); ++i) {
    std::string listen;
    if (i + 1 < dirs.size()) {
      ASSIGN_OR_RETURN(int port, FreeLoopbackPort());
      listen = absl::StrCat("127.0.0.1:", port);
    }
    RETURN_IF_ERROR(ConfigureNetwork(dirs[i], listen, parent, o.daemon_sync_writes,
                                     absl::StrCat("batch_records = ", o.batch_records)));
    parent = listen;
  }
  return dirs;
}

absl::Status StartAll(const BenchOptions& o, const std::vector<std::string>& dirs,
                      std::vector<std::unique_ptr<Daemon>>* daemons) {
  std::string ready;
  for (const std::string& dir : dirs) {
    daemons->push_back(std::make_unique<Daemon>(o.rectsyncd, dir));
    RETURN_IF_ERROR(daemons->back()->Start());
    absl::StrAppend(&ready, ready.empty() ? "" : ", ", dir.substr(dir.rfind('/') + 1), " ",
                    absl::StrFormat("%.0f", daemons->back()->ready_ms()));
  }
  std::printf("  (rectsyncd start to ready, ms: %s)\n", ready.c_str());
  return absl::OkStatus();
}

// Stops every daemon (all signalled first: each takes seconds to shut
// down). After a failure, shows the end of each daemon's log.
void StopAll(const absl::Status& outcome, std::vector<std::unique_ptr<Daemon>>* daemons) {
  if (!outcome.ok()) {
    for (const auto& d : *daemons) {
      std::fprintf(stderr, "--- %s/daemon.log (end)\n%s\n", d->dir().c_str(), d->LogTail().c_str());
    }
  }
  for (auto it = daemons->rbegin(); it != daemons->rend(); ++it) (*it)->Terminate();
  for (auto it = daemons->rbegin(); it != daemons->rend(); ++it) (*it)->Stop();
  daemons->clear();
}

// Polls `admin`'s summary until it counts at least `problems`.
absl::Status WaitForProblems(AdminClient* admin, int64_t problems,
                             std::chrono::milliseconds poll, std::chrono::milliseconds timeout) {
  const auto until = SteadyClock::now() + timeout;
  int64_t seen = -1;
  while (SteadyClock::now() < until) {
    ASSIGN_OR_RETURN(v1::Summary s, admin->Summary());
    seen = s.problems();
    if (seen >= problems) return absl::OkStatus();
    std::this_thread::sleep_for(poll);
  }
  return absl::DeadlineExceededError(
      absl::StrCat("the city counts ", seen, " problems, waited for ", problems));
}

}  // namespace

// --- 2. Propagation latency ------------------------------------------------

absl::Status RunPropagation(const BenchOptions& o, const std::string& base) {
  std::printf("\n[2] propagation: village -> township -> county -> city, rectsyncd on loopback, "
              "%d writes\n", o.latency_samples);
  ASSIGN_OR_RETURN(std::vector<std::string> dirs, PrepareHierarchy(o, base));
  std::vector<std::unique_ptr<Daemon>> daemons;
  absl::Status s = [&]() -> absl::Status {
    RETURN_IF_ERROR(StartAll(o, dirs, &daemons));
    ASSIGN_OR_RETURN(std::unique_ptr<AdminClient> city, AdminClient::Connect(dirs.front()));
    ASSIGN_OR_RETURN(std::unique_ptr<AdminClient> village, AdminClient::Connect(dirs.back()));
    const std::string& unit = Chain().back().unit;
    // Warm-up: the first write also waits for every link to come up.
    ASSIGN_OR_RETURN(v1::Summary before, city->Summary());
    int64_t expect = before.problems() + 1;
    RETURN_IF_ERROR(village->Append(RaiseBody(unit, "预热")).status());
    RETURN_IF_ERROR(WaitForProblems(city.get(), expect, std::chrono::milliseconds(5),
                                    std::chrono::seconds(60)));
    std::vector<double> ms;
    for (int i = 0; i < o.latency_samples; ++i) {
      const auto start = SteadyClock::now();
      RETURN_IF_ERROR(village->Append(RaiseBody(unit, absl::StrCat("时延 ", i))).status());
      ++expect;
      RETURN_IF_ERROR(WaitForProblems(city.get(), expect, std::chrono::milliseconds(1),
                                      std::chrono::seconds(30)));
      ms.push_back(MillisSince(start));
    }
    const double p50 = Percentile(&ms, 50), p99 = Percentile(&ms, 99), max = ms.back();
    Report("3-hop latency p50", absl::StrFormat("%.1f ms", p50), "");
    Report("3-hop latency p99 (goal < 250 ms)",
           absl::StrFormat("%.1f ms%s", p99, p99 < 250 ? "" : "  (above goal)"), "");
    Report("3-hop latency max", absl::StrFormat("%.1f ms", max),
           absl::StrFormat(R"({"bench":"propagation_latency","hops":3,"daemon_sync_writes":%s,"samples":%d,)"
                           R"("p50_ms":%.2f,"p99_ms":%.2f,"max_ms":%.2f,"goal_p99_ms":250})",
                           o.daemon_sync_writes ? "true" : "false", o.latency_samples, p50,
                           p99, max));
    return absl::OkStatus();
  }();
  StopAll(s, &daemons);
  return s;
}

// --- 3. Backlog catch-up ---------------------------------------------------

absl::Status RunBacklog(const BenchOptions& o, const std::string& base) {
  std::printf("\n[3] backlog: %d records written at the village while offline, then synced "
              "to the city\n", o.backlog_records);
  ASSIGN_OR_RETURN(std::vector<std::string> dirs, PrepareHierarchy(o, base));
  const std::string& unit = Chain().back().unit;
  int64_t problems = 0;
  uint64_t wire_bytes = 0;
  {
    ASSIGN_OR_RETURN(std::unique_ptr<node::Node> village, OpenNode(dirs.back(), false));
    const auto start = SteadyClock::now();
    ASSIGN_OR_RETURN(problems, AppendWorkload(village.get(), o.backlog_records, "积压"));
    const double secs = MillisSince(start) / 1000;
    std::printf("  (wrote %d records in-process in %.1f s, %.0f rec/s)\n", o.backlog_records, secs,
                o.backlog_records / secs);
    // What the push stream would carry: batches of batch_records.
    v1::PushBatch batch;
    RETURN_IF_ERROR(village->store()->ScanOrigin(unit, 1, [&](uint64_t, const v1::Record& r) {
      *batch.add_records() = r;
      if (batch.records_size() == o.batch_records) {
        wire_bytes += batch.ByteSizeLong();
        batch.Clear();
      }
      return true;
    }));
    wire_bytes += batch.ByteSizeLong();
  }
  std::vector<std::unique_ptr<Daemon>> daemons;
  absl::Status s = [&]() -> absl::Status {
    // City, county, township up; then the village comes online.
    std::vector<std::string> upper(dirs.begin(), dirs.end() - 1);
    RETURN_IF_ERROR(StartAll(o, upper, &daemons));
    std::vector<std::unique_ptr<AdminClient>> admins;  // city, county, township
    std::vector<int64_t> targets;
    for (const std::string& dir : upper) {
      ASSIGN_OR_RETURN(std::unique_ptr<AdminClient> admin, AdminClient::Connect(dir));
      ASSIGN_OR_RETURN(v1::Summary before, admin->Summary());
      targets.push_back(before.problems() + problems);
      admins.push_back(std::move(admin));
    }
    const auto start = SteadyClock::now();
    daemons.push_back(std::make_unique<Daemon>(o.rectsyncd, dirs.back()));
    RETURN_IF_ERROR(daemons.back()->Start());
    // Seconds from the village's start until each upper node holds it all.
    std::vector<double> done(upper.size(), -1);
    const auto until = start + std::chrono::seconds(300);
    while (done[0] < 0) {
      if (SteadyClock::now() > until) {
        return absl::DeadlineExceededError("backlog not at the city after 300 s");
      }
      for (size_t i = 0; i < admins.size(); ++i) {
        if (done[i] >= 0) continue;
        ASSIGN_OR_RETURN(v1::Summary now, admins[i]->Summary());
        if (now.problems() >= targets[i]) done[i] = MillisSince(start) / 1000;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const double secs = done[0];
    const double ready = daemons.back()->ready_ms() / 1000;
    const double rate = o.backlog_records / secs;
    const double per_record = static_cast<double>(wire_bytes) / o.backlog_records;
    Report("village rectsyncd start to ready", absl::StrFormat("%.2f s", ready), "");
    Report("  ... to township holding all", absl::StrFormat("%.2f s", done[2]), "");
    Report("  ... to county holding all", absl::StrFormat("%.2f s", done[1]), "");
    Report("backlog catch-up, village start to city (goal < 5 s)",
           absl::StrFormat("%.2f s%s", secs, secs < 5 ? "" : "  (above goal)"), "");
    // Without the village's own start-up (which replays its store's
    // write-ahead log): the sync alone.
    const double synced = secs - ready;
    Report("backlog catch-up, village ready to city", absl::StrFormat("%.2f s", synced), "");
    Report("backlog catch-up rate (from start; from ready)",
           absl::StrFormat("%.0f rec/s; %.0f rec/s", rate, o.backlog_records / synced),
           absl::StrFormat(R"({"bench":"backlog_catchup","hops":3,"daemon_sync_writes":%s,"batch_records":%d,)"
                           R"("records":%d,"seconds":%.3f,)"
                           R"("records_per_s":%.0f,"village_ready_s":%.3f,)"
                           R"("seconds_from_ready":%.3f,"records_per_s_from_ready":%.0f,)"
                           R"("township_s":%.3f,"county_s":%.3f,"goal_seconds":5})",
                           o.daemon_sync_writes ? "true" : "false", o.batch_records,
                           o.backlog_records, secs, rate, ready, synced,
                           o.backlog_records / synced, done[2], done[1]));
    Report("push payload per record (PushBatch bytes)", absl::StrFormat("%.0f B", per_record),
           absl::StrFormat(R"({"bench":"wire_bytes","source":"backlog","records":%d,)"
                           R"("batch_records":%d,"bytes_per_record":%.1f})",
                           o.backlog_records, o.batch_records, per_record));
    return absl::OkStatus();
  }();
  StopAll(s, &daemons);
  return s;
}

}  // namespace rectsync::bench
