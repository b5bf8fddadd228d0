// The console in a real headless Chromium (Debian's chromium and
// chromium-driver, driven over the W3C WebDriver protocol) against a real
// hierarchy of rectsyncd processes: a village clerk logs in and claims a
// problem; the township's reviewer sees the claim after sync and accepts it;
// the city's overview shows the verified rate move. Screenshots of each page
// are kept in $TEST_UNDECLARED_OUTPUTS_DIR or build/tests/console-screenshots/.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "tests/sync/cluster.h"

namespace rectsync::testing {
namespace {

using json = nlohmann::json;
constexpr char kElement[] = "element-6066-11e4-a52e-4f735466cecf";

// A WebDriver session on a chromedriver child process.
class Browser {
 public:
  Browser() {
    port_ = FreePort();
    pid_ = ::fork();
    if (pid_ == 0) {
      const std::string port = absl::StrCat("--port=", port_);
      ::execl("/usr/bin/chromedriver", "chromedriver", port.c_str(), "--log-level=OFF", nullptr);
      ::_exit(127);
    }
    http_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    http_->set_read_timeout(60, 0);
    WaitFor([&] { return static_cast<bool>(http_->Get("/status")); }, 20000);
    json caps = {{"capabilities",
                  {{"alwaysMatch",
                    {{"browserName", "chrome"},
                     {"goog:chromeOptions",
                      {{"binary", "/usr/bin/chromium"},
                       {"args", {"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                 "--window-size=1366,900", "--lang=zh-CN"}}}}}}}}};
    json r = Call("POST", "/session", caps);
    session_ = r["value"].value("sessionId", "");
    EXPECT_FALSE(session_.empty()) << r.dump();
  }
  ~Browser() {
    if (!session_.empty()) http_->Delete(("/session/" + session_).c_str());
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  void Go(const std::string& url) { Call("POST", S("/url"), {{"url", url}}); }
  std::string Source() { return Call("GET", S("/source"))["value"].get<std::string>(); }
  std::string Url() { return Call("GET", S("/url"))["value"].get<std::string>(); }
  std::string Find(const std::string& css) {
    json r = Call("POST", S("/element"), {{"using", "css selector"}, {"value", css}});
    EXPECT_TRUE(r["value"].contains(kElement)) << css << ": " << r.dump();
    return r["value"].value(kElement, "");
  }
  void Type(const std::string& css, const std::string& text) {
    Call("POST", S("/element/" + Find(css) + "/value"), {{"text", text}});
  }
  void Click(const std::string& css) { Call("POST", S("/element/" + Find(css) + "/click"), json::object()); }
  void Screenshot(const std::string& name) {
    std::string png;
    absl::Base64Unescape(Call("GET", S("/screenshot"))["value"].get<std::string>(), &png);
    const char* out = std::getenv("RECTSYNC_SCREENSHOTS");
    const std::string dir = out ? out : "console-screenshots";
    std::filesystem::create_directories(dir);
    std::ofstream(dir + "/" + name + ".png", std::ios::binary) << png;
  }
  void Login(const std::string& base, const std::string& name, const std::string& password) {
    Go(base + "/login");
    Type("input[name=name]", name);
    Type("input[name=password]", password);
    Click("form.stack button");
    WaitForUrl("/overview");
  }
  // Waits until the page's address contains `part` (a form post has
  // redirected); a click may return before the navigation it starts ends.
  bool WaitForUrl(const std::string& part) {
    return WaitFor([&] { return Url().find(part) != std::string::npos; }, 20000);
  }
  // The page without its style sheet, for failure messages.
  std::string Body() {
    std::string src = Source();
    size_t at = src.find("</style>");
    return (at == std::string::npos ? src : src.substr(at)).substr(0, 3000);
  }

 private:
  std::string S(const std::string& tail) const { return "/session/" + session_ + tail; }
  json Call(const std::string& method, const std::string& path, const json& body = json()) {
    auto r = method == "GET" ? http_->Get(path.c_str())
                             : http_->Post(path.c_str(), body.is_null() ? "{}" : body.dump(), "application/json");
    if (!r) {
      ADD_FAILURE() << method << " " << path << ": no answer from chromedriver";
      return json{{"value", json::object()}};
    }
    json j = json::parse(r->body, nullptr, false);
    if (j.is_discarded()) return json{{"value", json::object()}};
    return j;
  }
  int port_ = 0;
  pid_t pid_ = -1;
  std::unique_ptr<httplib::Client> http_;
  std::string session_;
};

std::string Encode(const std::string& s) {
  std::string out;
  for (unsigned char ch : s) {
    if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.') out += static_cast<char>(ch);
    else out += absl::StrCat("%", absl::Hex(ch, absl::kZeroPad2));
  }
  return out;
}

int Shell(const std::string& cmd) { return std::system(cmd.c_str()); }

TEST(ConsoleBrowserTest, ClerkClaimsTownshipAcceptsCityOverviewMoves) {
  if (!std::filesystem::exists("/usr/bin/chromedriver") || !std::filesystem::exists("/usr/bin/chromium")) {
    GTEST_SKIP() << "chromium and chromium-driver are not installed (tests/deps.sh installs them)";
  }
  Cluster c;
  BuildChain(c);
  std::map<std::string, int> port;
  for (const char* u : {kCity, kTown, kVillage1}) {
    port[u] = FreePort();
    c.Configure(u, {{"console_listen", absl::StrCat("\"127.0.0.1:", port[u], "\"")}, {"push_interval_ms", "300"}});
  }
  for (const char* u : {kCity, kCounty, kTown, kVillage1}) c.Start(u);
  auto base = [&](const char* u) { return absl::StrCat("http://127.0.0.1:", port[u]); };
  auto cli = [&](const char* u) { return absl::StrCat(RECTSYNC_CLI_PATH, " --node ", c.member(u).dir, " "); };
  ASSERT_EQ(Shell("echo clerk-pass-1 | " + cli(kVillage1) + "user add wang --display 王芳 --role clerk >/dev/null"), 0);
  ASSERT_EQ(Shell("echo review-pass-1 | " + cli(kTown) + "user add li --display 李强 --role reviewer >/dev/null"), 0);
  ASSERT_EQ(Shell("echo viewer-pass-1 | " + cli(kCity) + "user add zhao --role viewer >/dev/null"), 0);
  ASSERT_EQ(Shell(cli(kVillage1) + "--author wang problem raise --category 公开 --title 村务公开不及时 "
                                 "--source self-check --deadline 2030-06-30 >/dev/null"),
            0);
  const std::string id = std::string(kVillage1) + ":P" + std::to_string(2);  // seq 1 is the enrolment

  Browser b;
  // The village clerk claims completion.
  b.Login(base(kVillage1), "wang", "clerk-pass-1");
  ASSERT_NE(b.Source().find("王芳 (wang)"), std::string::npos) << b.Body();
  b.Screenshot("1-village-overview");
  b.Go(base(kVillage1) + "/problem?id=" + Encode(id));
  ASSERT_NE(b.Source().find("村务公开不及时"), std::string::npos);
  b.Screenshot("2-village-problem");
  b.Click("form[action='/act'] input[value=claim] ~ button");
  ASSERT_TRUE(b.WaitForUrl("recorded=")) << b.Body();
  ASSERT_NE(b.Source().find("已记录"), std::string::npos) << b.Body();
  b.Screenshot("3-village-claimed");

  // The township's reviewer sees it after sync and accepts.
  b.Login(base(kTown), "li", "review-pass-1");
  const std::string town_problem = base(kTown) + "/problem?id=" + Encode(id);
  ASSERT_TRUE(WaitFor([&] {
    b.Go(town_problem);
    return b.Source().find("审核销号申请") != std::string::npos;
  }, 30000)) << b.Body();
  b.Screenshot("4-township-review");
  b.Click("form[action='/act'] input[value=review] ~ button");
  ASSERT_TRUE(b.WaitForUrl("recorded=")) << b.Body();
  ASSERT_NE(b.Source().find("已记录"), std::string::npos) << b.Body();
  b.Screenshot("5-township-accepted");

  // The city's overview shows the verified rate at 100%.
  b.Login(base(kCity), "zhao", "viewer-pass-1");
  ASSERT_TRUE(WaitFor([&] {
    b.Go(base(kCity) + "/overview");
    return b.Source().find("整改率(核验)</span><b>100.0%") != std::string::npos;
  }, 30000)) << b.Body();
  b.Screenshot("6-city-overview");

  // The city's other pages, as kept test output: ledger, the 通报 with the
  // verified claim among its records, import, sync, reconciliation.
  b.Go(base(kCity) + "/ledger");
  ASSERT_NE(b.Source().find("村务公开不及时"), std::string::npos) << b.Body();
  b.Screenshot("7-city-ledger");
  b.Go(base(kCity) + "/report");
  ASSERT_NE(b.Source().find("经上级验收完成<a class=\"fig\" href=\"#ev-verified\""), std::string::npos) << b.Body();
  b.Screenshot("8-city-report");
  b.Go(base(kCity) + "/import");
  b.Screenshot("9-city-import");
  b.Go(base(kCity) + "/sync");
  b.Screenshot("10-city-sync");
  b.Go(base(kCity) + "/reconcile");
  b.Screenshot("11-city-reconcile");
}

}  // namespace
}  // namespace rectsync::testing
