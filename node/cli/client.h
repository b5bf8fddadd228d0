// How the CLI reaches its node: over the daemon's admin socket when
// rectsyncd is running, otherwise by opening the node in-process behind the
// same Admin service (so every command behaves the same either way).
#ifndef RECTSYNC_NODE_CLI_CLIENT_H_
#define RECTSYNC_NODE_CLI_CLIENT_H_

#include <chrono>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "rectsync/v1/admin.grpc.pb.h"

namespace rectsync::cli {

class NodeClient {
 public:
  // Connects to the node in `data_dir`: to its daemon, or else opens it here.
  // While another process holds the store (another officer's command, a
  // daemon starting or stopping) it waits up to `wait`, then says so.
  static absl::StatusOr<std::unique_ptr<NodeClient>> Connect(
      const std::string& data_dir, std::chrono::milliseconds wait = std::chrono::seconds(30));
  ~NodeClient();

  v1::Admin::Stub* admin() { return stub_.get(); }
  bool in_process() const { return in_process_; }

 private:
  struct InProcess;
  NodeClient() = default;
  std::unique_ptr<InProcess> local_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Admin::Stub> stub_;
  bool in_process_ = false;
};

// Runs one unary admin call with a deadline and converts the result.
template <typename Req, typename Resp>
absl::StatusOr<Resp> Call(grpc::Status (v1::Admin::Stub::*method)(grpc::ClientContext*, const Req&,
                                                                  Resp*),
                          v1::Admin::Stub* stub, const Req& req) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  Resp resp;
  grpc::Status s = (stub->*method)(&ctx, req, &resp);
  if (!s.ok()) return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
  return resp;
}

}  // namespace rectsync::cli

#endif  // RECTSYNC_NODE_CLI_CLIENT_H_
