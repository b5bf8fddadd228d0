// Client side of the hello (DESIGN §5): ask the server for a nonce, then
// sign a hello over it. A hello opens exactly one call, so every call gets
// a fresh one. Works with any stub whose service has Challenge (Sync,
// Query).
#ifndef RECTSYNC_NODE_SYNC_HELLO_H_
#define RECTSYNC_NODE_SYNC_HELLO_H_

#include <chrono>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "node/daemon/admin_service.h"
#include "node/daemon/node.h"

namespace rectsync::sync {

template <typename Stub>
absl::StatusOr<v1::Hello> SignedHello(Stub* stub, const node::Node& node, const std::string& peer,
                                      int64_t timeout_ms) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
  v1::ChallengeRequest req;
  req.set_unit(node.unit());
  v1::ChallengeReply reply;
  grpc::Status s = stub->Challenge(&ctx, req, &reply);
  if (!s.ok()) {
    absl::Status a = node::FromGrpc(s);
    return absl::Status(a.code(), absl::StrCat("challenge: ", a.message()));
  }
  return node.MakeHello(peer, reply.nonce());
}

}  // namespace rectsync::sync

#endif  // RECTSYNC_NODE_SYNC_HELLO_H_
