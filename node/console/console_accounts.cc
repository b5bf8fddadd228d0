
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "aggregator/status_macros.h"
#include "aggregator/unit_id.h"
#include "node/cli/render.h"
#include "node/console/console_impl.h"
#include "node/console/forms.h"
#include "node/console/html.h"
#include "node/console/pages.h"
#include "node/ledger/formats.h"
#include "node/record/codec.h"
#include "node/record/keys.h"

namespace rectsync::console {

// Login, logout and the officers page 用户.
void Console::Impl::AccountRoutes() {
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
}

}  // namespace rectsync::console
