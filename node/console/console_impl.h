// The console's insides, shared by the files that add its routes (internal
// to node/console):
//   console.cc           start-up, the login guard, the helpers below, and
//                        the pages 汇总, 问题, 新建, 同步, 核对;
//   console_accounts.cc  login, logout, officers 用户;
//   console_ledger.cc    台账 with its exports and template, 通报, 导入;
//   console_api.cc       the JSON API /api/v1/;
//   console_metrics.cc   /healthz and /metrics.
#ifndef RECTSYNC_NODE_CONSOLE_CONSOLE_IMPL_H_
#define RECTSYNC_NODE_CONSOLE_CONSOLE_IMPL_H_

#include <httplib.h>

#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "node/console/console.h"
#include "node/console/pages.h"

namespace rectsync::console {

inline constexpr uint32_t kLedgerPage = 50;  // rows per ledger page

// The HTTP status for a refusal of the node's rules.
int HttpCode(const absl::Status& s);
std::string CookieValue(const httplib::Request& req, const std::string& name);
// The request's path and query without lang, csrf or password.
std::string PathAndQuery(const httplib::Request& req);
// Only local paths: never an open redirect.
std::string SafeNext(const std::string& next);

struct Console::Impl {
  explicit Impl(Console& console)
      : node_(console.node_),
        options_(console.options_),
        officers_(console.officers_),
        sessions_(console.sessions_),
        limiter_(console.limiter_),
        server_(console.server_) {}

  // Per-request state of a logged-in page or API call.
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
  enum class Kind { kPage, kApi };

  // Adds every route; `tls` marks the cookies Secure.
  void Routes(bool tls);
  void AccountRoutes();
  void PageRoutes();
  void LedgerRoutes();
  void ApiRoutes();
  void OperationsRoutes();

  static Lang lang_of(const httplib::Request& req, httplib::Response& res);
  UnitNames names();
  Frame frame(Request& r, const std::string& title);
  static void send(httplib::Response& res, int code, const std::string& html);
  static void send_file(httplib::Response& res, const std::string& name, const absl::StatusOr<std::string>& bytes);
  static void send_json(httplib::Response& res, int code, const nlohmann::json& j);
  View view(Request& r, UnitNames* n);
  // Wraps a handler that needs a logged-in officer: pages redirect to the
  // login, API calls get 401; posts must carry the session's CSRF token.
  httplib::Server::Handler guarded(Kind kind, bool post, Handler handler);
  absl::StatusOr<std::string> unit_param(Request& r);
  std::vector<std::pair<std::string, std::string>> crumbs(const View& v, const std::string& unit, const std::string& base);
  void fail_page(Request& r, const absl::Status& s);
  absl::StatusOr<v1::ListProblemsRequest> ledger_request(Request& r, LedgerFilter* f);
  std::vector<std::string> subtree_units();
  std::vector<v1::InspectionOpened> inspections();
  absl::StatusOr<v1::AppendReply> append(Request& r, v1::RecordBody body);

  node::Node* const node_;
  const node::NodeOptions& options_;
  OfficerStore& officers_;
  SessionTable& sessions_;
  LoginLimiter& limiter_;
  std::unique_ptr<httplib::Server>& server_;
  std::string cookie, pre_cookie, secure;  // the session cookie's names and flags (Routes)

  std::mutex names_mu;
  uint64_t names_at = ~uint64_t{0};  // node_->changes() when names_ was read
  UnitNames names_;                  // guarded by names_mu
};

}  // namespace rectsync::console

#endif  // RECTSYNC_NODE_CONSOLE_CONSOLE_IMPL_H_
