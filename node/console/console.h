// The officers' web console, served by rectsyncd on `console_listen`
// (node.toml): server-rendered pages (zh by default, en on request) for the
// whole rectification job at this node's unit, a JSON API under /api/v1/,
// and /healthz and /metrics for operators. Everything it serves is inside
// the binary; pages carry no scripts. HTTPS with the node's certificate
// when tls_cert/tls_key are set, else loopback only (config.cc).
//
// Writes go through Node::Append, the same operation as the CLI's and the
// admin service's, with the logged-in officer as the record's author; the
// console adds only its roles (forms.h) and its session rules: cookies
// HttpOnly and SameSite=Strict (Secure under TLS), a per-session CSRF token
// on every form and API write, logins throttled per name and per address.
//
// Thread-safe; the Node must outlive the Console.
#ifndef RECTSYNC_NODE_CONSOLE_CONSOLE_H_
#define RECTSYNC_NODE_CONSOLE_CONSOLE_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "node/console/officers.h"
#include "node/console/sessions.h"
#include "node/daemon/node.h"

namespace httplib {
class Server;
}

namespace rectsync::console {

class Console {
 public:
  // Binds `options.console_listen` ("host:0" picks a port) and serves on
  // its own threads. The officers file is options.data_dir/officers.json.
  static absl::StatusOr<std::unique_ptr<Console>> Start(node::Node* node,
                                                        const node::NodeOptions& options);
  ~Console();  // stops serving
  Console(const Console&) = delete;
  Console& operator=(const Console&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:8081" (https under TLS).
  std::string url() const;

  OfficerStore& officers() { return officers_; }

 private:
  struct Impl;  // console_impl.h
  Console(node::Node* node, const node::NodeOptions& options);

  node::Node* const node_;
  const node::NodeOptions options_;
  OfficerStore officers_;
  SessionTable sessions_;
  LoginLimiter limiter_;
  std::unique_ptr<httplib::Server> server_;
  std::unique_ptr<Impl> impl_;
  std::string host_;
  int port_ = 0;
  bool tls_ = false;
  std::thread thread_;
};

}  // namespace rectsync::console

#endif  // RECTSYNC_NODE_CONSOLE_CONSOLE_H_
