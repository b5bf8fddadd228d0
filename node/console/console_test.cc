// The console over real HTTP on loopback, against a real Node on RocksDB:
// login and sessions, CSRF, roles, the authority rules seen through the
// console, pages, export, API, /metrics and /healthz.
#include "node/console/console.h"

#include <httplib.h>

#include <map>
#include <regex>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/console/html.h"
#include "node/daemon/test_nodes.h"
#include "node/record/keys.h"
#include <nlohmann/json.hpp>

namespace rectsync::console {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using node::testing::kCity;
using node::testing::kCounty;

// A browser, as far as the console can tell: keeps cookies, follows nothing.
class Browser {
 public:
  explicit Browser(int port) : http_("127.0.0.1", port) {}

  httplib::Result Get(const std::string& path) {
    auto r = http_.Get(path.c_str(), Headers());
    Keep(r);
    return r;
  }
  httplib::Result Post(const std::string& path, const httplib::Params& form) {
    auto r = http_.Post(path.c_str(), Headers(), form);
    Keep(r);
    return r;
  }
  httplib::Result PostMultipart(const std::string& path, const httplib::MultipartFormDataItems& items) {
    auto r = http_.Post(path.c_str(), Headers(), items);
    Keep(r);
    return r;
  }
  httplib::Result PostJson(const std::string& path, const std::string& json, const std::string& csrf) {
    httplib::Headers h = Headers();
    h.emplace("X-CSRF-Token", csrf);
    auto r = http_.Post(path.c_str(), h, json, "application/json");
    Keep(r);
    return r;
  }
  // The CSRF token of the last page's forms.
  std::string Csrf() const {
    std::smatch m;
    static const std::regex re("name=\"csrf\" value=\"([0-9a-f]+)\"");
    return std::regex_search(last_body_, m, re) ? m[1].str() : "";
  }
  // Logs in; returns the final status (303 on success).
  int Login(const std::string& name, const std::string& password) {
    Get("/login");
    auto r = Post("/login", {{"name", name}, {"password", password}, {"csrf", Csrf()}, {"next", "/overview"}});
    return r ? r->status : -1;
  }

 private:
  httplib::Headers Headers() const {
    std::string cookie;
    for (const auto& [k, v] : cookies_) cookie += k + "=" + v + "; ";
    return cookie.empty() ? httplib::Headers{} : httplib::Headers{{"Cookie", cookie}};
  }
  void Keep(const httplib::Result& r) {
    if (!r) return;
    last_body_ = r->body;
    for (const auto& [k, v] : r->headers) {
      if (k != "Set-Cookie") continue;
      const std::string pair = v.substr(0, v.find(';'));
      const size_t eq = pair.find('=');
      if (v.find("Max-Age=0") != std::string::npos) cookies_.erase(pair.substr(0, eq));
      else cookies_[pair.substr(0, eq)] = pair.substr(eq + 1);
    }
  }
  httplib::Client http_;
  std::map<std::string, std::string> cookies_;
  std::string last_body_;
};

class ConsoleTest : public node::testing::NodeTest {
 protected:
  void SetUp() override {
    NodeTest::SetUp();
    ASSERT_FALSE(HasFatalFailure());
    StartConsole(root_.get(), root_dir());
  }

  void StartConsole(node::Node* n, const std::string& dir) {
    node::NodeOptions options = n->options();
    options.console_listen = "127.0.0.1:0";
    absl::StatusOr<std::unique_ptr<Console>> c = Console::Start(n, options);
    ASSERT_TRUE(c.ok()) << c.status();
    console_ = *std::move(c);
    const int64_t now = n->NowMillis();
    ASSERT_TRUE(console_->officers().Add("wang", "王芳", Role::kClerk, "clerk-pass-1", now).ok());
    ASSERT_TRUE(console_->officers().Add("li", "李强", Role::kReviewer, "review-pass-1", now).ok());
    ASSERT_TRUE(console_->officers().Add("zhao", "", Role::kViewer, "viewer-pass-1", now).ok());
  }

  uint64_t Head() { return HeadSeq(*root_); }

  std::unique_ptr<Console> console_;
};

TEST_F(ConsoleTest, PageWithoutSessionRedirectsToLogin) {
  Browser b(console_->port());
  auto r = b.Get("/ledger?status=open");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 303);
  EXPECT_THAT(r->get_header_value("Location"), HasSubstr("/login?next="));
  EXPECT_THAT(r->get_header_value("Location"), HasSubstr("ledger"));
  auto api = b.Get("/api/v1/summary");
  ASSERT_TRUE(api);
  EXPECT_EQ(api->status, 401);
  EXPECT_THAT(api->body, HasSubstr("not logged in"));
}

TEST_F(ConsoleTest, LoginSetsAStrictHttpOnlyCookieAndShowsTheOverview) {
  Browser b(console_->port());
  b.Get("/login");
  auto r = b.Post("/login", {{"name", "wang"}, {"password", "clerk-pass-1"}, {"csrf", b.Csrf()}, {"next", "/ledger"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 303) << r->body;
  EXPECT_EQ(r->get_header_value("Location"), "/ledger");
  const std::string cookie = r->get_header_value("Set-Cookie");
  EXPECT_THAT(cookie, HasSubstr("HttpOnly"));
  EXPECT_THAT(cookie, HasSubstr("SameSite=Strict"));
  auto page = b.Get("/overview");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_THAT(page->body, HasSubstr("汇总"));
  EXPECT_THAT(page->body, HasSubstr("王芳 (wang)"));
  EXPECT_THAT(b.Get("/overview?lang=en")->body, HasSubstr("Overview"));
}

TEST_F(ConsoleTest, LoginWithoutItsCsrfTokenOrWithAnOpenRedirectIsRefusedOrTamed) {
  Browser b(console_->port());
  b.Get("/login");
  auto r = b.Post("/login", {{"name", "wang"}, {"password", "clerk-pass-1"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  b.Get("/login");
  r = b.Post("/login", {{"name", "wang"}, {"password", "clerk-pass-1"}, {"csrf", b.Csrf()}, {"next", "//evil.example/"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 303);
  EXPECT_EQ(r->get_header_value("Location"), "/overview");
}

TEST_F(ConsoleTest, FailedLoginsAreThrottled) {
  Browser b(console_->port());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(b.Login("wang", "wrong-password"), 401);
  b.Get("/login");
  auto r = b.Post("/login", {{"name", "wang"}, {"password", "clerk-pass-1"}, {"csrf", b.Csrf()}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_THAT(r->body, HasSubstr("登录失败次数过多"));
  EXPECT_FALSE(r->get_header_value("Retry-After").empty());
  clock_.Advance(15 * 60 * 1000 + 1);
  EXPECT_EQ(b.Login("wang", "clerk-pass-1"), 303);
}

TEST_F(ConsoleTest, AFormWithoutItsCsrfTokenIsRefusedAndWritesNothing) {
  Browser b(console_->port());
  ASSERT_EQ(b.Login("wang", "clerk-pass-1"), 303);
  const uint64_t before = Head();
  auto r = b.Post("/new", {{"action", "problem"}, {"unit", kCity}, {"source", "inspection"}, {"category", "公开"},
                           {"title", "没有令牌"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_THAT(r->body, HasSubstr("CSRF"));
  r = b.Post("/new", {{"action", "problem"}, {"unit", kCity}, {"source", "inspection"}, {"category", "公开"},
                      {"title", "错的令牌"}, {"csrf", std::string(64, 'a')}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(Head(), before);
}

TEST_F(ConsoleTest, AClerkWritesAsThemselvesAndCannotReview) {
  Browser clerk(console_->port());
  ASSERT_EQ(clerk.Login("wang", "clerk-pass-1"), 303);
  clerk.Get("/new");
  auto r = clerk.Post("/new", {{"action", "problem"}, {"unit", kCity}, {"source", "inspection"}, {"category", "公开"},
                               {"title", "三务公开不及时"}, {"deadline", "2030-06-30"}, {"csrf", clerk.Csrf()}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 303) << r->body;
  const std::string id = kCity + ":P" + std::to_string(Head());
  auto page = clerk.Get(r->get_header_value("Location"));
  ASSERT_EQ(page->status, 200);
  EXPECT_THAT(page->body, HasSubstr("三务公开不及时"));
  EXPECT_THAT(page->body, HasSubstr("王芳 (wang)"));  // the author in the signed history
  EXPECT_THAT(page->body, HasSubstr("✓"));            // and its verified mark
  r = clerk.Post("/act", {{"action", "claim"}, {"id", id}, {"kind", "completed"}, {"csrf", clerk.Csrf()}});
  ASSERT_EQ(r->status, 303) << r->body;
  absl::StatusOr<v1::ProblemDetail> d = root_->GetProblem(id);
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->state().claims_size(), 1);
  const std::string claim = record::ToHex(d->state().claims(0).record().id());
  const uint64_t before = Head();
  clerk.Get("/problem?id=" + id);
  r = clerk.Post("/act", {{"action", "review"}, {"id", id}, {"claim", claim}, {"verdict", "accept"}, {"csrf", clerk.Csrf()}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_THAT(r->body, HasSubstr("may not write this record"));
  EXPECT_EQ(Head(), before);

  // A reviewer of the same unit is held by the authority rules: a unit
  // cannot accept its own claim, whoever is logged in.
  Browser reviewer(console_->port());
  ASSERT_EQ(reviewer.Login("li", "review-pass-1"), 303);
  reviewer.Get("/problem?id=" + id);
  r = reviewer.Post("/act",
                    {{"action", "review"}, {"id", id}, {"claim", claim}, {"verdict", "accept"}, {"csrf", reviewer.Csrf()}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422);
  EXPECT_THAT(r->body, HasSubstr("未记录"));
  EXPECT_EQ(Head(), before);

  // A viewer writes nothing.
  Browser viewer(console_->port());
  ASSERT_EQ(viewer.Login("zhao", "viewer-pass-1"), 303);
  viewer.Get("/problem?id=" + id);
  r = viewer.Post("/act", {{"action", "progress"}, {"id", id}, {"note", "看看"}, {"csrf", viewer.Csrf()}});
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(Head(), before);
}

TEST_F(ConsoleTest, AReviewerAboveAcceptsAndTheCityOverviewShowsTheVerifiedRate) {
  EnrolCounty(&clock_);
  ASSERT_FALSE(HasFatalFailure());
  // A problem the city raises for the county, claimed at the county and
  // carried up as a push would carry it.
  v1::AppendReply raised = MustAppend(*root_, node::testing::Raise(kCounty));
  const std::string id = raised.subject();
  // The county needs the problem: it pulls it, as its daemon would.
  v1::PullRequest pull;
  absl::StatusOr<std::vector<v1::PullBatch>> batches = root_->CollectPull(kCounty, pull);
  ASSERT_TRUE(batches.ok()) << batches.status();
  for (const v1::PullBatch& batch : *batches) ASSERT_TRUE(county_->IngestPull(kCity, batch).ok());
  MustAppend(*county_, node::testing::Claim(id));
  v1::PushBatch push;
  for (uint64_t seq = 1; seq <= HeadSeq(*county_); ++seq) {
    *push.add_records() = **county_->store()->GetRecord(kCounty, seq);
  }
  v1::PushReply pushed = root_->IngestPush(kCounty, push);
  ASSERT_EQ(pushed.code(), 0) << pushed.error();

  Browser li(console_->port());
  ASSERT_EQ(li.Login("li", "review-pass-1"), 303);
  auto before = li.Get("/overview");
  EXPECT_THAT(before->body, HasSubstr("0.0%"));
  auto page = li.Get("/problem?id=" + id);
  ASSERT_EQ(page->status, 200);
  EXPECT_THAT(page->body, HasSubstr("审核销号申请"));
  std::smatch m;
  ASSERT_TRUE(std::regex_search(page->body, m, std::regex("name=\"claim\" value=\"([0-9a-f]+)\"")));
  auto r = li.Post("/act", {{"action", "review"}, {"id", id}, {"claim", m[1].str()}, {"verdict", "accept"},
                            {"note", "材料齐全"}, {"csrf", li.Csrf()}});
  ASSERT_EQ(r->status, 303) << r->body;
  absl::StatusOr<v1::ProblemDetail> d = root_->GetProblem(id);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->state().status(), v1::STATUS_ACCEPTED);
  auto after = li.Get("/overview");
  EXPECT_THAT(after->body, HasSubstr("100.0%"));
  EXPECT_THAT(after->body, HasSubstr("<svg"));
  EXPECT_THAT(after->body, HasSubstr("/overview?unit=3201%2F320115"));  // drill down to the county
}

TEST_F(ConsoleTest, LedgerFiltersPagesAndExportsWhatItShows) {
  for (int i = 0; i < 60; ++i) MustAppend(*root_, node::testing::Raise(kCity, i % 2 ? "村务公开不及时" : "资金使用不规范"));
  Browser b(console_->port());
  ASSERT_EQ(b.Login("zhao", "viewer-pass-1"), 303);
  auto page = b.Get("/ledger");
  ASSERT_EQ(page->status, 200);
  EXPECT_THAT(page->body, HasSubstr("下一页"));
  auto filtered = b.Get("/ledger?q=" + UrlEncode("资金"));
  EXPECT_THAT(filtered->body, HasSubstr("资金使用不规范"));
  EXPECT_THAT(filtered->body, Not(HasSubstr("村务公开不及时")));
  auto csv = b.Get("/ledger.csv?q=" + UrlEncode("资金"));
  ASSERT_EQ(csv->status, 200);
  EXPECT_THAT(csv->get_header_value("Content-Type"), HasSubstr("text/csv"));
  EXPECT_THAT(csv->body, HasSubstr("资金使用不规范"));
  EXPECT_THAT(csv->body, Not(HasSubstr("村务公开不及时")));
  auto bad = b.Get("/ledger?before=2030-13-01");
  EXPECT_EQ(bad->status, 422);
  EXPECT_THAT(bad->body, HasSubstr("deadline_before"));
  auto outside = b.Get("/overview?unit=3202");
  EXPECT_EQ(outside->status, 403);
  EXPECT_THAT(outside->body, HasSubstr("is not in this node"));
}

TEST_F(ConsoleTest, LedgerExportsAsXlsxAndOffersATemplate) {
  MustAppend(*root_, node::testing::Raise(kCity, "资金使用不规范"));
  Browser b(console_->port());
  ASSERT_EQ(b.Login("zhao", "viewer-pass-1"), 303);
  auto xlsx = b.Get("/ledger.xlsx");
  ASSERT_EQ(xlsx->status, 200);
  EXPECT_THAT(xlsx->get_header_value("Content-Type"), HasSubstr("spreadsheetml"));
  EXPECT_EQ(xlsx->body.substr(0, 4), std::string("PK\x03\x04", 4));
  auto tmpl = b.Get("/ledger-template.csv");
  ASSERT_EQ(tmpl->status, 200);
  EXPECT_THAT(tmpl->body, HasSubstr("问题描述"));
  EXPECT_EQ(b.Get("/ledger-template.xlsx")->status, 200);
}

// A ledger CSV for the city: a header and `rows`.
std::string LedgerFile(const std::vector<std::string>& rows) {
  std::string out = "问题描述,类别,来源,责任单位,整改状态,整改时限,整改措施\r\n";
  for (const std::string& r : rows) out += r + "\r\n";
  return out;
}

TEST_F(ConsoleTest, ABadImportRowIsReportedWithItsRowNumberAndNothingIsWritten) {
  Browser b(console_->port());
  ASSERT_EQ(b.Login("wang", "clerk-pass-1"), 303);
  ASSERT_EQ(b.Get("/import")->status, 200);
  const uint64_t head = Head();
  const std::string bad = LedgerFile({"白条列支,财务管理,巡察,3201,整改中,2024-06-30,收回白条",
                                      "账实不符,财务管理,巡察,3201,整改中,2024-02-30,盘点",
                                      "未公开,村务公开,传闻,3201,待整改,,"});
  auto r = b.PostMultipart("/import", {{"csrf", b.Csrf(), "", ""},
                                       {"mode", "import", "", ""},
                                       {"file", bad, "台账.csv", "text/csv"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422);
  EXPECT_THAT(r->body, HasSubstr("<td class=\"n\">3</td><td>整改时限</td><td>&quot;2024-02-30&quot; is not a date"));
  EXPECT_THAT(r->body, HasSubstr("<td class=\"n\">4</td><td>来源</td>"));
  EXPECT_THAT(r->body, HasSubstr("2 errors; nothing was written"));
  EXPECT_EQ(Head(), head);

  // The corrected file: checked first (nothing written), then imported as the clerk.
  const std::string good = LedgerFile({"白条列支,财务管理,巡察,3201,整改中,2024-06-30,收回白条",
                                       "账实不符,财务管理,巡察,3201,整改中,2024-02-29,盘点"});
  r = b.PostMultipart("/import", {{"csrf", b.Csrf(), "", ""}, {"mode", "check", "", ""},
                                  {"file", good, "台账.csv", "text/csv"}});
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->body, HasSubstr("检查通过"));
  EXPECT_EQ(Head(), head);
  r = b.PostMultipart("/import", {{"csrf", b.Csrf(), "", ""}, {"mode", "import", "", ""},
                                  {"file", good, "台账.csv", "text/csv"}});
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->body, HasSubstr("已导入 2 个问题"));
  EXPECT_EQ(Head(), head + 4);  // two problems, two measures
  absl::StatusOr<v1::ListProblemsReply> list = root_->ListProblems(v1::ListProblemsRequest());
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->problems_size(), 2);
  absl::StatusOr<v1::ProblemDetail> d = root_->GetProblem(list->problems(0).state().problem_id());
  ASSERT_TRUE(d.ok());
  v1::RecordBody body;
  ASSERT_TRUE(body.ParseFromString(d->history(0).record().body()));
  EXPECT_EQ(body.author(), "王芳 (wang)");

  // Without the form's CSRF token, or as a viewer, nothing is imported.
  r = b.PostMultipart("/import", {{"mode", "import", "", ""}, {"file", good, "台账.csv", "text/csv"}});
  EXPECT_EQ(r->status, 403);
  Browser viewer(console_->port());
  ASSERT_EQ(viewer.Login("zhao", "viewer-pass-1"), 303);
  viewer.Get("/import");
  r = viewer.PostMultipart("/import", {{"csrf", viewer.Csrf(), "", ""}, {"mode", "import", "", ""},
                                       {"file", good, "台账.csv", "text/csv"}});
  EXPECT_EQ(r->status, 403);
  EXPECT_THAT(r->body, HasSubstr("may not import a ledger"));
  EXPECT_EQ(Head(), head + 4);
}

TEST_F(ConsoleTest, TheReportStatesItsFiguresEachLinkedToItsRecords) {
  const std::string p1 = MustAppend(*root_, node::testing::Raise(kCity, "白条列支")).subject();
  const std::string p2 = MustAppend(*root_, node::testing::Raise(kCity, "账实不符")).subject();
  MustAppend(*root_, node::testing::AddMeasure(p1));
  MustAppend(*root_, node::testing::AddMeasure(p2));
  const v1::AppendReply claim = MustAppend(*root_, node::testing::Claim(p1));
  Browser b(console_->port());
  ASSERT_EQ(b.Login("zhao", "viewer-pass-1"), 303);
  auto page = b.Get("/report");
  ASSERT_EQ(page->status, 200);
  EXPECT_THAT(page->body, HasSubstr("关于巡察整改进展情况的通报"));
  EXPECT_THAT(page->body, HasSubstr("问题<a class=\"fig\" href=\"#ev-problems\""));
  EXPECT_THAT(page->body, HasSubstr(">2</a>个"));
  EXPECT_THAT(page->body, HasSubstr("<tr id=\"ev-completed\"><th>已完成整改 1个</th>"));
  // The claim record is named under 已完成整改 by origin#seq, linked to its problem.
  EXPECT_THAT(page->body, HasSubstr(absl::StrCat("<a href=\"/problem?id=", UrlEncode(p1), "\" title=\"申请销号 ", p1,
                                                 "\">", kCity, "#", claim.seq(), "</a>")));
  EXPECT_THAT(page->body, HasSubstr("@page{size:A4"));
  auto text = b.Get("/report.txt");
  ASSERT_EQ(text->status, 200);
  EXPECT_THAT(text->body, HasSubstr("问题2个[1]"));
  EXPECT_THAT(text->body, HasSubstr(absl::StrCat("已完成整改 1个：", kCity, "#", claim.seq())));
  EXPECT_EQ(b.Get("/report?inspection=3201:I999")->status, 404);
}

TEST_F(ConsoleTest, ApiWritesNeedTheCsrfHeaderAndUseTheSameRules) {
  Browser b(console_->port());
  ASSERT_EQ(b.Login("wang", "clerk-pass-1"), 303);
  auto session = b.Get("/api/v1/session");
  ASSERT_EQ(session->status, 200);
  const nlohmann::json s = nlohmann::json::parse(session->body);
  const std::string body = R"({"unit":")" + kCity + R"(","source":"audit","category":"财务","title":"票据不全"})";
  EXPECT_EQ(b.PostJson("/api/v1/act/problem", body, "")->status, 403);
  auto r = b.PostJson("/api/v1/act/problem", body, s["csrf"].get<std::string>());
  ASSERT_EQ(r->status, 200) << r->body;
  const nlohmann::json reply = nlohmann::json::parse(r->body);
  auto detail = b.Get("/api/v1/problem?id=" + UrlEncode(reply["subject"].get<std::string>()));
  ASSERT_EQ(detail->status, 200);
  EXPECT_THAT(detail->body, HasSubstr("票据不全"));
  auto refused = b.PostJson("/api/v1/act/problem", R"({"unit":"3202","source":"audit","category":"财务","title":"外"})",
                            s["csrf"].get<std::string>());
  EXPECT_EQ(refused->status / 100, 4);
  EXPECT_THAT(refused->body, HasSubstr("error"));
}

TEST_F(ConsoleTest, MetricsAndHealthAnswerWithoutLogin) {
  Browser b(console_->port());
  auto health = b.Get("/healthz");
  ASSERT_EQ(health->status, 200);
  EXPECT_THAT(health->body, HasSubstr("ok 3201"));
  auto metrics = b.Get("/metrics");
  ASSERT_EQ(metrics->status, 200);
  // Every sample line is "name{labels} value" with a number.
  std::istringstream lines(metrics->body);
  std::string line;
  int samples = 0;
  static const std::regex sample(R"(^[a-z_]+\{[^}]*\} -?[0-9.e+]+$)");
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    EXPECT_TRUE(std::regex_match(line, sample)) << line;
    ++samples;
  }
  EXPECT_GE(samples, 4);
  EXPECT_THAT(metrics->body, HasSubstr("rectsync_records{unit=\"3201\"} 1"));
}

TEST_F(ConsoleTest, DisablingAnOfficerEndsTheirSession) {
  Browser b(console_->port());
  ASSERT_EQ(b.Login("wang", "clerk-pass-1"), 303);
  ASSERT_EQ(b.Get("/overview")->status, 200);
  ASSERT_TRUE(console_->officers().SetDisabled("wang", true, root_->NowMillis()).ok());
  EXPECT_EQ(b.Get("/overview")->status, 303);
  EXPECT_EQ(b.Login("wang", "clerk-pass-1"), 403);
}

}  // namespace
}  // namespace rectsync::console
