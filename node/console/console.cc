#include "node/console/console.h"

#include <httplib.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "aggregator/status_macros.h"
#include "aggregator/unit_id.h"
#include "node/ledger/formats.h"
#include "node/cli/render.h"
#include "node/console/console_impl.h"
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

}  // namespace

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

std::string SafeNext(const std::string& next) {
  if (next.empty() || next[0] != '/' || absl::StartsWith(next, "//") || next.find('\\') != std::string::npos) {
    return "/overview";
  }
  return next;
}

Console::Console(node::Node* node, const node::NodeOptions& options)
    : node_(node),
      options_(options),
      officers_(options.data_dir),
      sessions_(options.console_session_idle_ms, kSessionMaxMs),
      limiter_(kLoginFailures, kLoginWindowMs),
      impl_(std::make_unique<Impl>(*this)) {}

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
  c->impl_->Routes(c->tls_);
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

void Console::Impl::Routes(bool tls) {
  cookie = absl::StrCat("rs_", [&] {
    std::string u = node_->unit();
    for (char& ch : u) if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
    return u;
  }());
  pre_cookie = cookie + "_login";
  secure = tls ? "; Secure" : "";
  AccountRoutes();
  PageRoutes();
  LedgerRoutes();
  ApiRoutes();
  OperationsRoutes();
}

Lang Console::Impl::lang_of(const httplib::Request& req, httplib::Response& res) {
  std::string lang = req.has_param("lang") ? req.get_param_value("lang") : CookieValue(req, "rs_lang");
  if (req.has_param("lang")) res.set_header("Set-Cookie", absl::StrCat("rs_lang=", lang == "en" ? "en" : "zh",
                                                                      "; Path=/; SameSite=Strict; Max-Age=31536000"));
  return lang == "en" ? Lang::kEn : Lang::kZh;
}

UnitNames Console::Impl::names() {
  std::lock_guard<std::mutex> lock(names_mu);
  const uint64_t at = node_->changes();
  if (at != names_at) {
    UnitNames fresh;
    absl::StatusOr<std::vector<v1::Record>> enrolments = node_->store()->Enrolments();
    if (enrolments.ok()) {
      for (const v1::Record& env : *enrolments) {
        v1::RecordBody body;
        if (body.ParseFromString(env.body())) fresh[body.unit_enrolled().unit()] = body.unit_enrolled().name();
      }
    }
    names_ = std::move(fresh);
    names_at = at;
  }
  return names_;
}

Frame Console::Impl::frame(Request& r, const std::string& title) {
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
}

void Console::Impl::send(httplib::Response& res, int code, const std::string& html) {
  res.status = code;
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'");
  res.set_content(html, "text/html; charset=utf-8");
}

void Console::Impl::send_file(httplib::Response& res, const std::string& name,
                              const absl::StatusOr<std::string>& bytes) {
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
}

void Console::Impl::send_json(httplib::Response& res, int code, const nlohmann::json& j) {
  res.status = code;
  res.set_header("Cache-Control", "no-store");
  res.set_content(j.dump(), "application/json");
}

View Console::Impl::view(Request& r, UnitNames* n) {
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
}

httplib::Server::Handler Console::Impl::guarded(Kind kind, bool post, Handler handler) {
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
}

absl::StatusOr<std::string> Console::Impl::unit_param(Request& r) {
  std::string unit = r.Param("unit");
  if (unit.empty()) return node_->unit();
  RETURN_IF_ERROR(aggregator::ValidateUnitId(unit, "unit"));
  if (!aggregator::InSubtree(unit, node_->unit())) {
    return absl::PermissionDeniedError(absl::StrCat("unit ", unit, " is not in this node's subtree (", node_->unit(), ")"));
  }
  return unit;
}

std::vector<std::pair<std::string, std::string>> Console::Impl::crumbs(const View& v, const std::string& unit,
                                                                   const std::string& base) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& u : aggregator::SelfAndAncestors(unit)) {
    if (!aggregator::InSubtree(u, node_->unit())) continue;
    out.emplace_back(v.Unit(u), absl::StrCat(base, "?unit=", UrlEncode(u)));
  }
  // Shallowest first: the breadcrumbs read from this node down.
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second.size() < b.second.size(); });
  return out;
}

void Console::Impl::fail_page(Request& r, const absl::Status& s) {
  Frame f = frame(r, T(r.lang, "错误", "Error"));
  f.error = std::string(s.message());
  send(r.res, HttpCode(s), Page(f, ""));
}

absl::StatusOr<v1::ListProblemsRequest> Console::Impl::ledger_request(Request& r, LedgerFilter* f) {
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
}

std::vector<std::string> Console::Impl::subtree_units() {
  std::vector<std::string> units;
  for (const auto& [u, name] : names()) {
    if (aggregator::InSubtree(u, node_->unit())) units.push_back(u);
  }
  return units;
}

std::vector<v1::InspectionOpened> Console::Impl::inspections() {
  std::vector<v1::InspectionOpened> out;
  absl::StatusOr<std::vector<v1::Record>> recs = node_->store()->Inspections();
  if (recs.ok()) {
    for (const v1::Record& env : *recs) {
      v1::RecordBody body;
      if (body.ParseFromString(env.body())) out.push_back(body.inspection_opened());
    }
  }
  return out;
}

absl::StatusOr<v1::AppendReply> Console::Impl::append(Request& r, v1::RecordBody body) {
  RETURN_IF_ERROR(CheckRole(r.officer.role, body));
  body.set_author(Author(r.officer));
  return node_->Append(std::move(body));
}

// The pages 汇总, 问题 with its actions, 新建, 同步 and 核对.
void Console::Impl::PageRoutes() {
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
}

}  // namespace rectsync::console
