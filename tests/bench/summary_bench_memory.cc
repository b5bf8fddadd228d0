// summary_bench part 4: resident memory of a rectsyncd serving a city's
// store of over a million records.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "aggregator/status_macros.h"
#include "tests/bench/summary_bench.h"

namespace rectsync::bench {
namespace {

// A "VmRSS"-style field of /proc/<pid>/status, in KiB; -1 if absent.
int64_t ProcStatusKib(pid_t pid, const std::string& field) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::atoll(line.c_str() + field.size() + 1);
  }
  return -1;
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec)) total += e.file_size(ec);
  }
  return total;
}

}  // namespace

absl::Status RunMemory(const SummaryBenchOptions& o, const CityLedger& l, int64_t records_held,
                       const std::string& today, std::mt19937* rng) {
  std::printf("\n[4] rectsyncd on the city's data (%lld records held)\n",
              static_cast<long long>(records_held));
  const uint64_t db_bytes = DirBytes(l.dir + "/db");
  Daemon daemon(o.rectsyncd, l.dir);
  RETURN_IF_ERROR(daemon.Start(std::chrono::seconds(120)));
  const int64_t rss_ready = ProcStatusKib(daemon.pid(), "VmRSS");
  ASSIGN_OR_RETURN(std::unique_ptr<AdminClient> admin, AdminClient::Connect(l.dir));
  const auto units = UnitsByLevel(l);
  std::vector<double> ms;
  for (int i = 0; i < o.daemon_queries; ++i) {
    const auto& pool = units[i % 4];
    const std::string& unit = pool[std::uniform_int_distribution<size_t>(0, pool.size() - 1)(*rng)];
    const auto start = SteadyClock::now();
    ASSIGN_OR_RETURN(v1::Summary s, admin->Summary(Request(unit, today)));
    ms.push_back(MillisSince(start));
    if (s.problems() == 0) return absl::InternalError(absl::StrCat("daemon counts nothing for ", unit));
  }
  const int64_t rss = ProcStatusKib(daemon.pid(), "VmRSS");
  const int64_t hwm = ProcStatusKib(daemon.pid(), "VmHWM");
  daemon.Stop();
  const double mib = 1024.0;
  Report("rectsyncd start to ready", absl::StrFormat("%.2f s", daemon.ready_ms() / 1000), "");
  Report(absl::StrFormat("summary over the admin socket p50 (%d queries)", o.daemon_queries),
         absl::StrFormat("%.2f ms", Percentile(&ms, 50)), "");
  Report("VmRSS at ready", absl::StrFormat("%.1f MiB", rss_ready / mib), "");
  Report("VmRSS after the queries", absl::StrFormat("%.1f MiB", rss / mib), "");
  Report("VmHWM (peak resident)", absl::StrFormat("%.1f MiB", hwm / mib), "");
  Report("database on disk (db/)", absl::StrFormat("%.1f MiB", db_bytes / (mib * mib)),
         absl::StrFormat(R"({"bench":"node_memory","records":%lld,"vmrss_ready_mib":%.1f,)"
                         R"("vmrss_mib":%.1f,"vmhwm_mib":%.1f,"db_mib":%.1f,"ready_s":%.3f,)"
                         R"("admin_summary_p50_ms":%.3f})",
                         static_cast<long long>(records_held), rss_ready / mib, rss / mib,
                         hwm / mib, db_bytes / (mib * mib), daemon.ready_ms() / 1000,
                         Percentile(&ms, 50)));
  return absl::OkStatus();
}

}  // namespace rectsync::bench
