// summary_bench part 5: the officers' web console served by rectsyncd over
// the city's data (5,000 villages x 50 problems by default). Times what a
// leader and an officer open most, the city overview and a 50-row ledger
// page, over HTTP with a logged-in session, against the same queries
// through the `rectsync` CLI (a process per query, as an officer at a
// terminal runs it) in the same run.
#include <httplib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <regex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "aggregator/status_macros.h"
#include "node/console/officers.h"
#include "tests/bench/summary_bench.h"
#include "tests/bench/sync_bench_util.h"

namespace rectsync::bench {
namespace {

// A logged-in browser session: keeps cookies, follows nothing.
class Session {
 public:
  explicit Session(int port) : http_("127.0.0.1", port) { http_.set_read_timeout(60, 0); }

  absl::StatusOr<std::string> Get(const std::string& path) {
    auto r = http_.Get(path.c_str(), Headers());
    if (!r) return absl::UnavailableError(absl::StrCat("GET ", path, ": ", httplib::to_string(r.error())));
    Keep(*r);
    if (r->status != 200) return absl::InternalError(absl::StrCat("GET ", path, ": HTTP ", r->status));
    return r->body;
  }
  absl::Status Login(const std::string& name, const std::string& password) {
    ASSIGN_OR_RETURN(std::string page, Get("/login"));
    std::smatch m;
    static const std::regex re("name=\"csrf\" value=\"([0-9a-f]+)\"");
    if (!std::regex_search(page, m, re)) return absl::InternalError("the login page has no CSRF token");
    auto r = http_.Post("/login", Headers(),
                        httplib::Params{{"name", name}, {"password", password}, {"csrf", m[1].str()}, {"next", "/overview"}});
    if (!r || r->status != 303) return absl::InternalError("login failed");
    Keep(*r);
    return absl::OkStatus();
  }

 private:
  httplib::Headers Headers() const {
    std::string cookie;
    for (const auto& [k, v] : cookies_) cookie += k + "=" + v + "; ";
    return cookie.empty() ? httplib::Headers{} : httplib::Headers{{"Cookie", cookie}};
  }
  void Keep(const httplib::Response& r) {
    for (const auto& [k, v] : r.headers) {
      if (k != "Set-Cookie") continue;
      const std::string pair = v.substr(0, v.find(';'));
      cookies_[pair.substr(0, pair.find('='))] = pair.substr(pair.find('=') + 1);
    }
  }
  httplib::Client http_;
  std::map<std::string, std::string> cookies_;
};

// Runs `argv` with its output to /dev/null; its wall time in ms.
absl::StatusOr<double> TimeProcess(const std::vector<std::string>& argv) {
  std::fflush(nullptr);  // the child must not write out our buffered output again
  const auto start = SteadyClock::now();
  pid_t pid = ::fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    std::freopen("/dev/null", "w", stdout);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat(argv[0], " ", argv.size() > 3 ? argv[3] : "", " exited ", WEXITSTATUS(status)));
  }
  return MillisSince(start);
}

std::string Stats(std::vector<double>* ms) {
  return absl::StrFormat("p50 %.1f ms, p99 %.1f ms", Percentile(ms, 50), Percentile(ms, 99));
}

}  // namespace

absl::Status RunConsole(const SummaryBenchOptions& o, const CityLedger& l, std::mt19937* rng) {
  std::printf("\n[5] the web console of rectsyncd on the city's data, against the CLI\n");
  ASSIGN_OR_RETURN(int port, FreeLoopbackPort());
  {
    std::ofstream toml(l.dir + "/node.toml", std::ios::app);
    toml << "console_listen = \"127.0.0.1:" << port << "\"\n";
    if (!toml) return absl::InternalError("cannot configure the console in node.toml");
  }
  console::OfficerStore officers(l.dir);
  RETURN_IF_ERROR(officers.Add("bench", "基准", console::Role::kViewer, "bench-password-1", 0));
  Daemon daemon(o.rectsyncd, l.dir);
  RETURN_IF_ERROR(daemon.Start(std::chrono::seconds(120)));
  Session s(port);
  RETURN_IF_ERROR(s.Login("bench", "bench-password-1"));
  const auto units = UnitsByLevel(l);
  auto pick = [&](int level) {
    const auto& pool = units[level];
    return pool[std::uniform_int_distribution<size_t>(0, pool.size() - 1)(*rng)];
  };
  // Warm the caches once, as a leader's first look would.
  RETURN_IF_ERROR(s.Get("/overview").status());
  std::vector<double> overview, ledger_city, ledger_unit;
  size_t bytes = 0;
  for (int i = 0; i < o.console_queries; ++i) {
    auto start = SteadyClock::now();
    ASSIGN_OR_RETURN(std::string page, s.Get("/overview"));
    overview.push_back(MillisSince(start));
    bytes += page.size();
    start = SteadyClock::now();
    RETURN_IF_ERROR(s.Get("/ledger").status());
    ledger_city.push_back(MillisSince(start));
    const std::string unit = pick(1 + i % 3);
    start = SteadyClock::now();
    RETURN_IF_ERROR(s.Get(absl::StrCat("/ledger?unit=", unit)).status());
    ledger_unit.push_back(MillisSince(start));
  }
  // The same queries through the CLI (over the daemon's admin socket).
  const std::string cli = absl::StrCat(o.rectsyncd.substr(0, o.rectsyncd.rfind("/daemon/")), "/cli/rectsync");
  std::vector<double> cli_summary, cli_ledger;
  for (int i = 0; i < o.cli_queries; ++i) {
    ASSIGN_OR_RETURN(double a, TimeProcess({cli, "--node", l.dir, "summary"}));
    cli_summary.push_back(a);
    ASSIGN_OR_RETURN(double b, TimeProcess({cli, "--node", l.dir, "problem", "ls", "--page-size", "50"}));
    cli_ledger.push_back(b);
  }
  daemon.Stop();
  const double o99 = Percentile(&overview, 99), l99 = Percentile(&ledger_city, 99), u99 = Percentile(&ledger_unit, 99);
  const double cs99 = Percentile(&cli_summary, 99), cl99 = Percentile(&cli_ledger, 99);
  Report(absl::StrFormat("console city overview (%d requests, %zu B a page)", o.console_queries,
                         bytes / std::max(1, o.console_queries)),
         Stats(&overview), "");
  Report("console ledger page, 50 rows, the city's subtree", Stats(&ledger_city), "");
  Report("console ledger page, 50 rows, a random county/township/village", Stats(&ledger_unit), "");
  Report(absl::StrFormat("CLI summary (process per query, %d)", o.cli_queries), Stats(&cli_summary), "");
  Report("CLI problem ls --page-size 50", Stats(&cli_ledger),
         absl::StrFormat(R"({"bench":"console_pages","villages":%zu,"problems_per_village":%d,)"
                         R"("requests":%d,"overview_p50_ms":%.2f,"overview_p99_ms":%.2f,)"
                         R"("ledger_p50_ms":%.2f,"ledger_p99_ms":%.2f,"ledger_unit_p99_ms":%.2f,)"
                         R"("cli_summary_p99_ms":%.2f,"cli_ledger_p99_ms":%.2f,"goal_p99_ms":300})",
                         l.villages.size(), o.shape.problems, o.console_queries, Percentile(&overview, 50), o99,
                         Percentile(&ledger_city, 50), l99, u99, cs99, cl99));
  return absl::OkStatus();
}

}  // namespace rectsync::bench
