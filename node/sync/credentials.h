// Transport credentials and channel settings for the public port and the
// parent link, from NodeOptions: TLS with client certificates when the TLS
// files are configured, plaintext only when explicitly allowed (config.cc
// has already checked that plaintext addresses are loopback).
#ifndef RECTSYNC_NODE_SYNC_CREDENTIALS_H_
#define RECTSYNC_NODE_SYNC_CREDENTIALS_H_

#include <memory>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "node/daemon/config.h"

namespace rectsync::sync {

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const node::NodeOptions& options);
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentials(
    const node::NodeOptions& options);

// Message size limits and keepalive, set explicitly on both sides.
void ConfigureServer(const node::NodeOptions& options, grpc::ServerBuilder* builder);
grpc::ChannelArguments ChannelArgs(const node::NodeOptions& options);

}  // namespace rectsync::sync

#endif  // RECTSYNC_NODE_SYNC_CREDENTIALS_H_
