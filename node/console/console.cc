#include "node/console/console.h"

#include <httplib.h>

#include "rocksdb/db.h"

#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "aggregator/status_macros.h"
#include "aggregator/unit_id.h"
#include "node/ledger/formats.h"
#include "node/cli/render.h"
#include "node/console/forms.h"
#include "node/console/html.h"
#include "node/console/pages.h"
#include "node/record/codec.h"
#include "node/record/keys.h"

namespace rectsync::console {
namespace {

constexpr int64_t kSessionMaxMs = 24LL * 3600 * 1000;
constexpr int kLoginFailures = 5;
constexpr int64_t kLoginWindowMs = 15LL * 60 * 1000;
constexpr uint32_t kLedgerPage = 50;

int HttpCode(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kOutOfRange: return 422;
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kPermissionDenied: return 403;
    case absl::StatusCode::kUnauthenticated: return 401;
    case absl::StatusCode::kResourceExhausted: return 429;
    default: return 503;
  }
}

std::string CookieValue(const httplib::Request& req, const std::string& name) {
  const std::string header = req.get_header_value("Cookie");
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    std::string part = header.substr(pos, end - pos);
    size_t start = part.find_first_not_of(' ');
    if (start != std::string::npos) part = part.substr(start);
    if (absl::StartsWith(part, name + "=")) return part.substr(name.size() + 1);
    pos = end + 1;
  }
  return "";
}

std::string PathAndQuery(const httplib::Request& req) {
  std::string q;
  for (const auto& [k, v] : req.params) {
    if (k == "lang" || k == "csrf" || k == "password") continue;
    absl::StrAppend(&q, q.empty() ? "?" : "&", UrlEncode(k), "=", UrlEncode(v));
  }
  return req.path + q;
}

// Only local paths: never an open redirect.
std::string SafeNext(const std::string& next) {
  if (next.empty() || next[0] != '/' || absl::StartsWith(next, "//") || next.find('\\') != std::string::npos) {
    return "/overview";
  }
  return next;
}

}  // namespace

// Per-request state of a logged-in page or API call.
struct Console::Impl {
  struct Request {
    const httplib::Request& http;
    httplib::Response& res;
    Lang lang = Lang::kZh;
    std::string token;
    Session session;
    Officer officer;
    // A query, urlencoded or multipart form field.
    std::string Param(const std::string& name) const {
      if (http.has_param(name.c_str())) return http.get_param_value(name.c_str());
      return http.has_file(name.c_str()) ? http.get_file_value(name.c_str()).content : "";
    }
  };
  using Handler = std::function<void(Request&)>;
  std::mutex names_mu;
  uint64_t names_at = ~uint64_t{0};
  UnitNames names;  // guarded by names_mu
};

Console::Console(node::Node* node, const node::NodeOptions& options)
    : node_(node),
      options_(options),
      officers_(options.data_dir),
      sessions_(options.console_session_idle_ms, kSessionMaxMs),
      limiter_(kLoginFailures, kLoginWindowMs),
      impl_(std::make_unique<Impl>()) {}

Console::~Console() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string Console::url() const { return absl::StrCat(tls_ ? "https://" : "http://", host_, ":", port_); }

absl::StatusOr<std::unique_ptr<Console>> Console::Start(node::Node* node, const node::NodeOptions& options) {
  std::unique_ptr<Console> c(new Console(node, options));
  const std::string& listen = options.console_listen;
  size_t colon = listen.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("console_listen: \"", listen, "\" is not host:port"));
  }
  c->host_ = listen.substr(0, colon);
  if (c->host_.size() > 2 && c->host_.front() == '[') c->host_ = c->host_.substr(1, c->host_.size() - 2);
  if (!options.tls_cert.empty()) {
    c->server_ = std::make_unique<httplib::SSLServer>(options.tls_cert.c_str(), options.tls_key.c_str());
    if (!c->server_->is_valid()) {
      return absl::InvalidArgumentError(absl::StrCat("console: cannot load tls_cert ", options.tls_cert,
                                                     " / tls_key ", options.tls_key));
    }
    c->tls_ = true;
  } else {
    c->server_ = std::make_unique<httplib::Server>();
  }
  c->server_->set_payload_max_length(16u << 20);
  c->Routes();
  if (port == 0) {
    c->port_ = c->server_->bind_to_any_port(c->host_);
    if (c->port_ <= 0) return absl::UnavailableError(absl::StrCat("console: cannot listen on ", listen));
  } else {
    if (!c->server_->bind_to_port(c->host_, port)) {
      return absl::UnavailableError(absl::StrCat("console: cannot listen on ", listen));
    }
    c->port_ = port;
  }
  httplib::Server* server = c->server_.get();
  c->thread_ = std::thread([server] { server->listen_after_bind(); });
  return c;
}

void Console::Routes() {
  using Request = Impl::Request;
  const std::string cookie = absl::StrCat("rs_", [&] {
    std::string u = node_->unit();
    for (char& ch : u) if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
    return u;
  }());
  const std::string pre_cookie = cookie + "_login";
  const std::string secure = tls_ ? "; Secure" : "";

  auto lang_of = [](const httplib::Request& req, httplib::Response& res) {
    std::string lang = req.has_param("lang") ? req.get_param_value("lang") : CookieValue(req, "rs_lang");
    if (req.has_param("lang")) res.set_header("Set-Cookie", absl::StrCat("rs_lang=", lang == "en" ? "en" : "zh",
                                                                        "; Path=/; SameSite=Strict; Max-Age=31536000"));
    return lang == "en" ? Lang::kEn : Lang::kZh;
  };
  auto names = [this]() -> UnitNames {
    std::lock_guard<std::mutex> lock(impl_->names_mu);
    const uint64_t at = node_->changes();
    if (at != impl_->names_at) {
      UnitNames fresh;
      absl::StatusOr<std::vector<v1::Record>> enrolments = node_->store()->Enrolments();
      if (enrolments.ok()) {
        for (const v1::Record& env : *enrolments) {
          v1::RecordBody body;
          if (body.ParseFromString(env.body())) fresh[body.unit_enrolled().unit()] = body.unit_enrolled().name();
        }
      }
      impl_->names = std::move(fresh);
      impl_->names_at = at;
    }
    return impl_->names;
  };
  auto frame = [this, names](Request& r, const std::string& title) {
    Frame f;
    f.lang = r.lang;
    f.title = title;
    f.node_unit = node_->unit();
    UnitNames n = names();
    f.node_name = n.count(node_->unit()) ? n[node_->unit()] : "";
    f.officer = Author(r.officer);
    f.role = RoleName(r.officer.role);
    f.csrf = r.session.csrf;
    f.admin = r.officer.role == Role::kAdmin;
    f.path_and_query = PathAndQuery(r.http);
    return f;
  };
  auto send = [](httplib::Response& res, int code, const std::string& html) {
    res.status = code;
    res.set_header("Cache-Control", "no-store");
    res.set_header("X-Frame-Options", "DENY");
    res.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'");
    res.set_content(html, "text/html; charset=utf-8");
  };
  auto send_file = [](httplib::Response& res, const std::string& name, const absl::StatusOr<std::string>& bytes) {
    res.set_header("Cache-Control", "no-store");
    if (!bytes.ok()) {
      res.status = 500;
      res.set_content(std::string(bytes.status().message()), "text/plain; charset=utf-8");
      return;
    }
    const bool xlsx = absl::EndsWith(name, ".xlsx");
    res.set_header("Content-Disposition", absl::StrCat("attachment; filename=\"", name, "\""));
    res.set_content(*bytes, xlsx ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                                 : "text/csv; charset=utf-8");
  };
  auto send_json = [](httplib::Response& res, int code, const nlohmann::json& j) {
    res.status = code;
    res.set_header("Cache-Control", "no-store");
    res.set_content(j.dump(), "application/json");
  };
  auto view = [this, names](Request& r, UnitNames* n) {
    *n = names();
    View v;
    v.lang = r.lang;
    v.node_unit = node_->unit();
    v.officer = &r.officer;
    v.csrf = r.session.csrf;
    v.names = n;
    v.now_ms = node_->NowMillis();
    v.stale_after_ms = options_.console_stale_after_ms;
    v.today = node_->Today();
    return v;
  };

  // Wraps a handler that needs a logged-in officer: pages redirect to the
  // login, API calls get 401; posts must carry the session's CSRF token.
  enum class Kind { kPage, kApi };
  auto guarded = [=](Kind kind, bool post, Impl::Handler handler) {
    return [=](const httplib::Request& http, httplib::Response& res) {
      Request r{http, res};
      r.lang = lang_of(http, res);
      r.token = CookieValue(http, cookie);
      std::optional<Session> session = r.token.empty() ? std::nullopt : sessions_.Touch(r.token, node_->NowMillis());
      std::optional<Officer> officer;
      if (session) {
        absl::StatusOr<std::optional<Officer>> found = officers_.Find(session->officer);
        if (found.ok() && *found && !(*found)->disabled) officer = **found;
        else sessions_.End(r.token);
      }
      if (!officer) {
        if (kind == Kind::kApi) {
          send_json(res, 401, {{"error", "not logged in: POST /login first"}});
        } else {
          res.status = 303;
          res.set_header("Location", absl::StrCat("/login?next=", UrlEncode(PathAndQuery(http))));
        }
        return;
      }
      r.session = *session;
      r.officer = *officer;
      if (post) {
        const std::string token = kind == Kind::kApi ? http.get_header_value("X-CSRF-Token") : r.Param("csrf");
        if (!TokensEqual(token, r.session.csrf)) {
          if (kind == Kind::kApi) {
            send_json(res, 403, {{"error", "refused: the request does not carry this session's CSRF token (X-CSRF-Token)"}});
          } else {
            Frame f = frame(r, "403");
            f.error = T(r.lang, "已拒绝:表单缺少本次登录的安全令牌(CSRF)。请从页面重新提交。",
                        "Refused: the form does not carry this session's CSRF token. Submit it again from the page.");
            send(res, 403, Page(f, ""));
          }
          return;
        }
      }
      handler(r);
    };
  };

  // --- Login and logout. ---
  server_->Get("/login", [=](const httplib::Request& http, httplib::Response& res) {
    const Lang lang = lang_of(http, res);
    const std::string pre = RandomToken();
    res.set_header("Set-Cookie", absl::StrCat(pre_cookie, "=", pre, "; Path=/login; HttpOnly; SameSite=Strict", secure));
    Frame f;
    f.lang = lang;
    f.title = T(lang, "登录", "Log in");
    f.path_and_query = PathAndQuery(http);
    const std::string next = http.has_param("next") ? http.get_param_value("next") : "/overview";
    send(res, 200, Page(f, LoginBody(lang, pre, next, "")));
  });
  server_->Post("/login", [=](const httplib::Request& http, httplib::Response& res) {
    const Lang lang = lang_of(http, res);
    auto param = [&](const char* k) { return http.has_param(k) ? http.get_param_value(k) : std::string(); };
    const std::string name = param("name"), next = SafeNext(param("next"));
    Frame f;
    f.lang = lang;
    f.title = T(lang, "登录", "Log in");
    const std::string pre = RandomToken();
    auto again = [&](int code, const std::string& error) {
      res.set_header("Set-Cookie", absl::StrCat(pre_cookie, "=", pre, "; Path=/login; HttpOnly; SameSite=Strict", secure));
      f.error = error;
      send(res, code, Page(f, LoginBody(lang, pre, next, name)));
    };
    if (!TokensEqual(param("csrf"), CookieValue(http, pre_cookie))) {
      again(403, T(lang, "已拒绝:登录表单缺少安全令牌(CSRF),请重新登录。",
                   "Refused: the login form does not carry its CSRF token; log in again from the page."));
      return;
    }
    const int64_t now = node_->NowMillis();
    const std::string by_name = "name:" + name, by_addr = "addr:" + http.remote_addr;
    const int64_t wait = std::max(limiter_.RetryAfterMs(by_name, now), limiter_.RetryAfterMs(by_addr, now));
    if (wait > 0) {
      res.set_header("Retry-After", absl::StrCat((wait + 999) / 1000));
      again(429, absl::StrCat(T(lang, "登录失败次数过多,请 ", "Too many failed logins; try again in "), (wait + 999) / 1000,
                              T(lang, " 秒后再试。", " s.")));
      return;
    }
    absl::StatusOr<Officer> officer = officers_.Authenticate(name, param("password"));
    if (!officer.ok()) {
      limiter_.Failed(by_name, now);
      limiter_.Failed(by_addr, now);
      again(HttpCode(officer.status()), officer.status().code() == absl::StatusCode::kUnauthenticated
                     ? T(lang, "用户名或密码错误。", "Wrong officer name or password.")
                     : std::string(officer.status().message()));
      return;
    }
    limiter_.Succeeded(by_name);
    const std::string token = sessions_.Create(officer->name, now);
    res.set_header("Set-Cookie", absl::StrCat(cookie, "=", token, "; Path=/; HttpOnly; SameSite=Strict", secure));
    res.status = 303;
    res.set_header("Location", next);
  });
  server_->Post("/logout", guarded(Kind::kPage, true, [=](Request& r) {
    sessions_.End(r.token);
    r.res.set_header("Set-Cookie", absl::StrCat(cookie, "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0", secure));
    r.res.status = 303;
    r.res.set_header("Location", "/login");
  }));
  server_->Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.status = 303;
    res.set_header("Location", "/overview");
  });

  // A unit parameter: this node's unit by default, and never outside its subtree.
  auto unit_param = [this](Request& r) -> absl::StatusOr<std::string> {
    std::string unit = r.Param("unit");
    if (unit.empty()) return node_->unit();
    RETURN_IF_ERROR(aggregator::ValidateUnitId(unit, "unit"));
    if (!aggregator::InSubtree(unit, node_->unit())) {
      return absl::PermissionDeniedError(absl::StrCat("unit ", unit, " is not in this node's subtree (", node_->unit(), ")"));
    }
    return unit;
  };
  auto crumbs = [this](const View& v, const std::string& unit, const std::string& base) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const std::string& u : aggregator::SelfAndAncestors(unit)) {
      if (!aggregator::InSubtree(u, node_->unit())) continue;
      out.emplace_back(v.Unit(u), absl::StrCat(base, "?unit=", UrlEncode(u)));
    }
    // Shallowest first: the breadcrumbs read from this node down.
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second.size() < b.second.size(); });
    return out;
  };
  auto fail_page = [=](Request& r, const absl::Status& s) {
    Frame f = frame(r, T(r.lang, "错误", "Error"));
    f.error = std::string(s.message());
    send(r.res, HttpCode(s), Page(f, ""));
  };

  // --- Overview 汇总. ---
  server_->Get("/overview", guarded(Kind::kPage, false, [=](Request& r) {
    absl::StatusOr<std::string> unit = unit_param(r);
    if (!unit.ok()) return fail_page(r, unit.status());
    v1::SummaryRequest req;
    req.set_unit(*unit);
    req.set_children(true);
    absl::StatusOr<v1::Summary> summary = node_->GetSummary(req);
    if (!summary.ok()) return fail_page(r, summary.status());
    absl::StatusOr<v1::SyncStatusReply> sync = node_->SyncStatus();
    UnitNames n;
    View v = view(r, &n);
    Frame f = frame(r, T(r.lang, "汇总", "Overview"));
    f.breadcrumbs = crumbs(v, *unit, "/overview");
    send(r.res, 200, Page(f, OverviewBody(v, *summary, sync.ok() ? *sync : v1::SyncStatusReply())));
  }));

  // --- Ledger 台账 and its CSV export. ---
  auto ledger_request = [=](Request& r, LedgerFilter* f) -> absl::StatusOr<v1::ListProblemsRequest> {
    f->unit = r.Param("unit");
    f->status = r.Param("status");
    f->category = r.Param("category");
    f->colour = r.Param("colour");
    f->inspection = r.Param("inspection");
    f->before = r.Param("before");
    f->text = r.Param("q");
    f->page = r.Param("page");
    v1::ListProblemsRequest req;
    ASSIGN_OR_RETURN(std::string unit, unit_param(r));
    req.set_unit(unit);
    if (!f->status.empty()) {
      ASSIGN_OR_RETURN(v1::Status status, cli::ParseStatus(f->status));
      req.set_status(status);
    }
    req.set_category(f->category);
    req.set_colour(f->colour);
    req.set_inspection_id(f->inspection);
    req.set_deadline_before(f->before);
    req.set_text(f->text);
    req.set_page_token(f->page);
    return req;
  };
  auto subtree_units = [this, names]() {
    std::vector<std::string> units;
    for (const auto& [u, name] : names()) {
      if (aggregator::InSubtree(u, node_->unit())) units.push_back(u);
    }
    return units;
  };
  auto inspections = [this]() {
    std::vector<v1::InspectionOpened> out;
    absl::StatusOr<std::vector<v1::Record>> recs = node_->store()->Inspections();
    if (recs.ok()) {
      for (const v1::Record& env : *recs) {
        v1::RecordBody body;
        if (body.ParseFromString(env.body())) out.push_back(body.inspection_opened());
      }
    }
    return out;
  };
  server_->Get("/ledger", guarded(Kind::kPage, false, [=](Request& r) {
    LedgerFilter f;
    absl::StatusOr<v1::ListProblemsRequest> req = ledger_request(r, &f);
    if (!req.ok()) return fail_page(r, req.status());
    req->set_page_size(kLedgerPage);
    absl::StatusOr<v1::ListProblemsReply> page = node_->ListProblems(*req);
    if (!page.ok()) return fail_page(r, page.status());
    UnitNames n;
    View v = view(r, &n);
    Frame fr = frame(r, T(r.lang, "台账", "Ledger"));
    fr.breadcrumbs = crumbs(v, req->unit(), "/ledger");
    send(r.res, 200, Page(fr, LedgerBody(v, f, *page, subtree_units(), inspections())));
  }));
  // Exactly the problems the filters select (all pages), as CSV or .xlsx.
  auto export_ledger = [=](Request& r, bool xlsx) {
    LedgerFilter f;
    absl::StatusOr<v1::ListProblemsRequest> req = ledger_request(r, &f);
    if (!req.ok()) return fail_page(r, req.status());
    req->set_page_token("");
    std::vector<v1::ProblemState> problems;
    do {
      absl::StatusOr<v1::ListProblemsReply> page = node_->ListProblems(*req);
      if (!page.ok()) return fail_page(r, page.status());
      for (v1::ProblemRow& row : *page->mutable_problems()) problems.push_back(std::move(*row.mutable_state()));
      req->set_page_token(page->next_page_token());
    } while (!req->page_token().empty());
    ledger::ExportOptions options;
    options.ids = true;
    send_file(r.res, xlsx ? "ledger.xlsx" : "ledger.csv",
              xlsx ? ledger::LedgerXlsx(std::move(problems), options) : ledger::LedgerCsv(std::move(problems), options));
  };
  server_->Get("/ledger.csv", guarded(Kind::kPage, false, [=](Request& r) { export_ledger(r, false); }));
  server_->Get("/ledger.xlsx", guarded(Kind::kPage, false, [=](Request& r) { export_ledger(r, true); }));
  // An empty ledger with its header, to fill in Excel and import.
  server_->Get("/ledger-template.csv", guarded(Kind::kPage, false, [=](Request& r) {
    send_file(r.res, "ledger-template.csv", ledger::LedgerCsv({}));
  }));
  server_->Get("/ledger-template.xlsx", guarded(Kind::kPage, false, [=](Request& r) {
    send_file(r.res, "ledger-template.xlsx", ledger::LedgerXlsx({}));
  }));

  // --- 通报: the progress report of an inspection or of a subtree. ---
  // The Bulletin points into `problems`, which the caller keeps.
  auto bulletin = [=](Request& r, std::vector<v1::ProblemDetail>* problems) -> absl::StatusOr<ledger::Bulletin> {
    ASSIGN_OR_RETURN(std::string unit, unit_param(r));
    v1::ReportRequest req;
    req.set_unit(unit);
    req.set_inspection_id(r.Param("inspection"));
    ASSIGN_OR_RETURN(v1::ReportReply got, node_->Report(req));
    problems->assign(std::make_move_iterator(got.mutable_problems()->begin()),
                     std::make_move_iterator(got.mutable_problems()->end()));
    return ledger::BuildBulletin(*problems, got.unit(), got.inspection(), got.today());
  };
  server_->Get("/report", guarded(Kind::kPage, false, [=](Request& r) {
    std::vector<v1::ProblemDetail> problems;
    absl::StatusOr<ledger::Bulletin> b = bulletin(r, &problems);
    if (!b.ok()) return fail_page(r, b.status());
    std::string query = absl::StrCat("unit=", UrlEncode(b->scope_unit));
    if (!r.Param("inspection").empty()) absl::StrAppend(&query, "&inspection=", UrlEncode(r.Param("inspection")));
    UnitNames n;
    View v = view(r, &n);
    Frame f = frame(r, T(r.lang, "通报", "Report"));
    f.breadcrumbs = crumbs(v, b->scope_unit, "/report");
    send(r.res, 200, Page(f, ReportBody(v, *b, query)));
  }));
  server_->Get("/report.txt", guarded(Kind::kPage, false, [=](Request& r) {
    std::vector<v1::ProblemDetail> problems;
    absl::StatusOr<ledger::Bulletin> b = bulletin(r, &problems);
    if (!b.ok()) return fail_page(r, b.status());
    UnitNames n = names();
    r.res.set_header("Cache-Control", "no-store");
    r.res.set_content(ledger::BulletinText(*b, [&](const std::string& u) { return n.count(u) ? n[u] : ""; }),
                      "text/plain; charset=utf-8");
  }));

  // --- Import 导入: check (dry run), then record all or none. ---
  server_->Get("/import", guarded(Kind::kPage, false, [=](Request& r) {
    UnitNames n;
    View v = view(r, &n);
    send(r.res, 200, Page(frame(r, T(r.lang, "导入台账", "Import")), ImportBody(v, "", nullptr, inspections())));
  }));
  server_->Post("/import", guarded(Kind::kPage, true, [=](Request& r) {
    UnitNames n;
    View v = view(r, &n);
    Frame f = frame(r, T(r.lang, "导入台账", "Import"));
    const bool dry_run = r.Param("mode") != "import";
    if (!dry_run && !CanWrite(r.officer.role)) {
      f.error = absl::StrCat("an officer in role ", RoleName(r.officer.role),
                             " may not import a ledger (needs clerk or admin)");
      return send(r.res, 403, Page(f, ImportBody(v, "", nullptr, inspections())));
    }
    if (!r.http.has_file("file") || r.http.get_file_value("file").content.empty()) {
      f.error = T(r.lang, "请选择一个台账文件。", "Choose a ledger file.");
      return send(r.res, 400, Page(f, ImportBody(v, "", nullptr, inspections())));
    }
    const httplib::MultipartFormData& file = r.http.get_file_value("file");
    v1::ImportLedgerRequest req;
    req.set_file(file.content);
    req.set_file_name(file.filename);
    req.set_author(Author(r.officer));
    req.set_dry_run(dry_run);
    req.set_skip_refused(r.Param("skip_refused") == "1");
    req.set_inspection_id(r.Param("inspection_id"));
    absl::StatusOr<v1::ImportLedgerReply> reply = node_->ImportLedger(req);
    if (!reply.ok()) {
      f.error = absl::StrCat(T(r.lang, "未写入:", "Nothing written: "), reply.status().message());
      return send(r.res, HttpCode(reply.status()), Page(f, ImportBody(v, file.filename, nullptr, inspections())));
    }
    send(r.res, reply->refusal().empty() ? 200 : 422, Page(f, ImportBody(v, file.filename, &*reply, inspections())));
  }));

  // --- A problem and the actions on it. ---
  auto problem_page = [=](Request& r, const std::string& id, int code, const std::string& flash,
                          const std::string& error) {
    absl::StatusOr<v1::ProblemDetail> detail = node_->GetProblem(id);
    if (!detail.ok()) return fail_page(r, detail.status());
    UnitNames n;
    View v = view(r, &n);
    Frame f = frame(r, detail->state().title());
    f.breadcrumbs = crumbs(v, detail->state().unit(), "/ledger");
    f.breadcrumbs.emplace_back(id, "");
    f.flash = flash;
    f.error = error;
    send(r.res, code, Page(f, ProblemBody(v, *detail)));
  };
  server_->Get("/problem", guarded(Kind::kPage, false, [=](Request& r) {
    std::string flash;
    if (!r.Param("recorded").empty()) {
      flash = absl::StrCat(T(r.lang, "已记录,签名记录 #", "Recorded as signed record #"), r.Param("recorded"));
    }
    problem_page(r, r.Param("id"), 200, flash, "");
  }));
  // Appends `body` as this officer; the node's rules decide.
  auto append = [this](Request& r, v1::RecordBody body) -> absl::StatusOr<v1::AppendReply> {
    RETURN_IF_ERROR(CheckRole(r.officer.role, body));
    body.set_author(Author(r.officer));
    return node_->Append(std::move(body));
  };
  server_->Post("/act", guarded(Kind::kPage, true, [=](Request& r) {
    const std::string id = r.Param("id");
    absl::StatusOr<v1::RecordBody> body = BodyFromForm(r.Param("action"), [&](const std::string& k) { return r.Param(k); });
    absl::StatusOr<v1::AppendReply> reply = body.ok() ? append(r, *std::move(body)) : body.status();
    if (!reply.ok()) {
      return problem_page(r, id, HttpCode(reply.status()), "",
                          absl::StrCat(T(r.lang, "未记录:", "Not recorded: "), reply.status().message()));
    }
    r.res.status = 303;
    r.res.set_header("Location", absl::StrCat("/problem?id=", UrlEncode(id), "&recorded=", reply->seq()));
  }));
  server_->Get("/new", guarded(Kind::kPage, false, [=](Request& r) {
    UnitNames n;
    View v = view(r, &n);
    send(r.res, 200, Page(frame(r, T(r.lang, "新建", "New")), NewBody(v, subtree_units(), inspections())));
  }));
  server_->Post("/new", guarded(Kind::kPage, true, [=](Request& r) {
    const std::string action = r.Param("action");
    absl::StatusOr<v1::RecordBody> body = BodyFromForm(action, [&](const std::string& k) { return r.Param(k); });
    absl::StatusOr<v1::AppendReply> reply = body.ok() ? append(r, *std::move(body)) : body.status();
    if (!reply.ok()) {
      UnitNames n;
      View v = view(r, &n);
      Frame f = frame(r, T(r.lang, "新建", "New"));
      f.error = absl::StrCat(T(r.lang, "未记录:", "Not recorded: "), reply.status().message());
      return send(r.res, HttpCode(reply.status()), Page(f, NewBody(v, subtree_units(), inspections())));
    }
    r.res.status = 303;
    r.res.set_header("Location", action == "problem"
                                     ? absl::StrCat("/problem?id=", UrlEncode(reply->subject()), "&recorded=", reply->seq())
                                     : absl::StrCat("/ledger?inspection=", UrlEncode(reply->subject())));
  }));

  // --- Sync, reconciliation, officers. ---
  server_->Get("/sync", guarded(Kind::kPage, false, [=](Request& r) {
    absl::StatusOr<v1::SyncStatusReply> sync = node_->SyncStatus();
    if (!sync.ok()) return fail_page(r, sync.status());
    UnitNames n;
    View v = view(r, &n);
    send(r.res, 200, Page(frame(r, T(r.lang, "同步", "Sync")), SyncBody(v, *sync)));
  }));
  server_->Get("/reconcile", guarded(Kind::kPage, false, [=](Request& r) {
    absl::StatusOr<std::string> unit = unit_param(r);
    if (!unit.ok()) return fail_page(r, unit.status());
    v1::ReconcileRequest req;
    req.set_unit(*unit);
    absl::StatusOr<v1::ReconcileReply> reply = node_->Reconcile(req);
    if (!reply.ok()) return fail_page(r, reply.status());
    UnitNames n;
    View v = view(r, &n);
    Frame f = frame(r, T(r.lang, "核对", "Reconcile"));
    f.breadcrumbs = crumbs(v, *unit, "/reconcile");
    send(r.res, 200, Page(f, ReconcileBody(v, *reply)));
  }));
  auto officers_page = [=](Request& r, int code, const std::string& flash, const std::string& error) {
    if (r.officer.role != Role::kAdmin) {
      return fail_page(r, absl::PermissionDeniedError("only an admin of this node manages its officers"));
    }
    absl::StatusOr<std::vector<Officer>> all = officers_.List();
    if (!all.ok()) return fail_page(r, all.status());
    UnitNames n;
    View v = view(r, &n);
    Frame f = frame(r, T(r.lang, "用户", "Officers"));
    f.flash = flash;
    f.error = error;
    send(r.res, code, Page(f, OfficersBody(v, *all)));
  };
  server_->Get("/officers", guarded(Kind::kPage, false, [=](Request& r) { officers_page(r, 200, "", ""); }));
  server_->Post("/officers", guarded(Kind::kPage, true, [=](Request& r) {
    if (r.officer.role != Role::kAdmin) {
      return fail_page(r, absl::PermissionDeniedError("only an admin of this node manages its officers"));
    }
    const std::string op = r.Param("op"), name = r.Param("name");
    const int64_t now = node_->NowMillis();
    absl::Status s;
    if (op == "add") {
      absl::StatusOr<Role> role = ParseRole(r.Param("role"));
      s = role.ok() ? officers_.Add(name, r.Param("display"), *role, r.Param("password"), now) : role.status();
    } else if (op == "role") {
      absl::StatusOr<Role> role = ParseRole(r.Param("role"));
      s = role.ok() ? officers_.SetRole(name, *role, now) : role.status();
    } else if (op == "disable" || op == "enable") {
      s = name == r.officer.name && op == "disable"
              ? absl::FailedPreconditionError("an admin cannot disable their own account")
              : officers_.SetDisabled(name, op == "disable", now);
      if (s.ok() && op == "disable") sessions_.EndAll(name);
    } else if (op == "passwd") {
      s = officers_.SetPassword(name, r.Param("password"), now);
      if (s.ok() && name != r.officer.name) sessions_.EndAll(name);
    } else {
      s = absl::InvalidArgumentError(absl::StrCat("op \"", op, "\" is not add, role, disable, enable or passwd"));
    }
    if (!s.ok()) return officers_page(r, HttpCode(s), "", std::string(s.message()));
    officers_page(r, 200, absl::StrCat(T(r.lang, "已保存:", "Saved: "), name), "");
  }));

  // --- JSON API /api/v1/ (the same operations; session cookie + X-CSRF-Token). ---
  auto api_fail = [=](Request& r, const absl::Status& s) {
    send_json(r.res, HttpCode(s), {{"error", std::string(s.message())}, {"code", absl::StatusCodeToString(s.code())}});
  };
  server_->Get("/api/v1/session", guarded(Kind::kApi, false, [=](Request& r) {
    send_json(r.res, 200, {{"officer", r.officer.name}, {"author", Author(r.officer)}, {"role", RoleName(r.officer.role)},
                           {"unit", node_->unit()}, {"csrf", r.session.csrf}});
  }));
  server_->Get("/api/v1/summary", guarded(Kind::kApi, false, [=](Request& r) {
    absl::StatusOr<std::string> unit = unit_param(r);
    if (!unit.ok()) return api_fail(r, unit.status());
    v1::SummaryRequest req;
    req.set_unit(*unit);
    req.set_children(r.Param("children") != "0");
    absl::StatusOr<v1::Summary> s = node_->GetSummary(req);
    if (!s.ok()) return api_fail(r, s.status());
    send_json(r.res, 200, cli::SummaryJson(*s));
  }));
  server_->Get("/api/v1/problems", guarded(Kind::kApi, false, [=](Request& r) {
    LedgerFilter f;
    absl::StatusOr<v1::ListProblemsRequest> req = ledger_request(r, &f);
    if (!req.ok()) return api_fail(r, req.status());
    uint32_t size = kLedgerPage;
    if (!r.Param("page_size").empty() && !absl::SimpleAtoi(r.Param("page_size"), &size)) {
      return api_fail(r, absl::InvalidArgumentError("page_size: not a number"));
    }
    req->set_page_size(std::min<uint32_t>(size, 1000));
    absl::StatusOr<v1::ListProblemsReply> page = node_->ListProblems(*req);
    if (!page.ok()) return api_fail(r, page.status());
    nlohmann::json rows = nlohmann::json::array();
    for (const v1::ProblemRow& row : page->problems()) rows.push_back(cli::ProblemJson(row.state(), row.colour()));
    send_json(r.res, 200, {{"problems", rows}, {"next_page_token", page->next_page_token()}});
  }));
  server_->Get("/api/v1/problem", guarded(Kind::kApi, false, [=](Request& r) {
    absl::StatusOr<v1::ProblemDetail> d = node_->GetProblem(r.Param("id"));
    if (!d.ok()) return api_fail(r, d.status());
    send_json(r.res, 200, cli::DetailJson(*d));
  }));
  // POST /api/v1/act/<action> with the form's fields as a JSON object.
  server_->Post(R"(/api/v1/act/([a-z]+))", guarded(Kind::kApi, true, [=](Request& r) {
    nlohmann::json in = nlohmann::json::parse(r.http.body, nullptr, false);
    if (in.is_discarded() || !in.is_object()) {
      return api_fail(r, absl::InvalidArgumentError("body: not a JSON object of the form's fields"));
    }
    auto field = [&](const std::string& k) -> std::string {
      if (!in.contains(k)) return "";
      const nlohmann::json& v = in[k];
      if (v.is_string()) return v.get<std::string>();
      if (v.is_boolean()) return v.get<bool>() ? "on" : "";
      return v.dump();
    };
    absl::StatusOr<v1::RecordBody> body = BodyFromForm(r.http.matches[1], field);
    absl::StatusOr<v1::AppendReply> reply = body.ok() ? append(r, *std::move(body)) : body.status();
    if (!reply.ok()) return api_fail(r, reply.status());
    send_json(r.res, 200, {{"record_id", record::ToHex(reply->id())}, {"seq", reply->seq()}, {"subject", reply->subject()}});
  }));

  // --- Operations: /healthz and /metrics (no login; loopback or TLS only). ---
  server_->Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    absl::StatusOr<store::Head> head = node_->store()->GetHead(node_->unit());
    res.status = head.ok() ? 200 : 503;
    res.set_content(head.ok() ? absl::StrCat("ok ", node_->unit(), " head ", head->seq, "\n")
                              : absl::StrCat("unhealthy: ", head.status().message(), "\n"),
                    "text/plain");
  });
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    std::ostringstream m;
    const std::string unit = node_->unit();
    auto labels = [&](const std::string& extra) { return absl::StrCat("{unit=\"", unit, "\"", extra, "}"); };
    absl::StatusOr<std::vector<std::pair<std::string, store::Head>>> heads = node_->store()->Heads();
    uint64_t records = 0;
    if (heads.ok()) for (const auto& [origin, head] : *heads) records += head.seq;
    m << "# HELP rectsync_records Records held (sum of per-origin head seqs).\n# TYPE rectsync_records gauge\n"
      << "rectsync_records" << labels("") << " " << records << "\n";
    m << "# HELP rectsync_origins Origins with records held.\n# TYPE rectsync_origins gauge\n"
      << "rectsync_origins" << labels("") << " " << (heads.ok() ? heads->size() : 0) << "\n";
    absl::StatusOr<v1::SyncStatusReply> sync = node_->SyncStatus();
    if (sync.ok()) {
      m << "# HELP rectsync_link_records_received_total Records stored from the peer.\n"
           "# TYPE rectsync_link_records_received_total counter\n";
      for (const v1::LinkStatus& l : sync->links()) {
        m << "rectsync_link_records_received_total"
          << labels(absl::StrCat(",direction=\"", l.direction(), "\",peer=\"", l.peer(), "\"")) << " "
          << l.records_received() << "\n";
      }
      m << "# HELP rectsync_link_records_sent_total Records pushed and receipted.\n"
           "# TYPE rectsync_link_records_sent_total counter\n";
      for (const v1::LinkStatus& l : sync->links()) {
        m << "rectsync_link_records_sent_total"
          << labels(absl::StrCat(",direction=\"", l.direction(), "\",peer=\"", l.peer(), "\"")) << " " << l.records_sent()
          << "\n";
      }
      m << "# HELP rectsync_link_refusals_total Batches refused.\n# TYPE rectsync_link_refusals_total counter\n";
      for (const v1::LinkStatus& l : sync->links()) {
        m << "rectsync_link_refusals_total"
          << labels(absl::StrCat(",direction=\"", l.direction(), "\",peer=\"", l.peer(), "\"")) << " " << l.refusals()
          << "\n";
      }
      m << "# HELP rectsync_link_pending_records Records not yet receipted by the parent.\n"
           "# TYPE rectsync_link_pending_records gauge\n";
      for (const v1::LinkStatus& l : sync->links()) {
        m << "rectsync_link_pending_records" << labels(absl::StrCat(",direction=\"", l.direction(), "\",peer=\"", l.peer(), "\""))
          << " " << l.pending() << "\n";
      }
      m << "# HELP rectsync_link_lag_seconds Age of the oldest record not yet receipted.\n"
           "# TYPE rectsync_link_lag_seconds gauge\n";
      for (const v1::LinkStatus& l : sync->links()) {
        m << "rectsync_link_lag_seconds" << labels(absl::StrCat(",direction=\"", l.direction(), "\",peer=\"", l.peer(), "\""))
          << " " << l.lag_ms() / 1000.0 << "\n";
      }
      m << "# HELP rectsync_link_last_contact_timestamp_seconds Last call that reached the peer.\n"
           "# TYPE rectsync_link_last_contact_timestamp_seconds gauge\n";
      for (const v1::LinkStatus& l : sync->links()) {
        m << "rectsync_link_last_contact_timestamp_seconds"
          << labels(absl::StrCat(",direction=\"", l.direction(), "\",peer=\"", l.peer(), "\"")) << " "
          << l.last_contact_ms() / 1000.0 << "\n";
      }
      m << "# HELP rectsync_forks Forks held with proof.\n# TYPE rectsync_forks gauge\n"
        << "rectsync_forks" << labels("") << " " << sync->forks_size() << "\n";
    }
    uint64_t sst = 0;
    node_->store()->db()->GetIntProperty("rocksdb.total-sst-files-size", &sst);
    m << "# HELP rectsync_rocksdb_sst_bytes Size of the store's SST files.\n# TYPE rectsync_rocksdb_sst_bytes gauge\n"
      << "rectsync_rocksdb_sst_bytes" << labels("") << " " << sst << "\n";
    m << "# HELP rectsync_console_sessions Console sessions open.\n# TYPE rectsync_console_sessions gauge\n"
      << "rectsync_console_sessions" << labels("") << " " << sessions_.size() << "\n";
    res.set_content(m.str(), "text/plain; version=0.0.4");
  });
}

}  // namespace rectsync::console
