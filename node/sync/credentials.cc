#include "node/sync/credentials.h"

#include <fstream>
#include <sstream>

#include <grpcpp/resource_quota.h>

#include "absl/strings/str_cat.h"
#include "aggregator/status_macros.h"

namespace rectsync::sync {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* key) {
  std::ifstream in(path);
  if (!in) return absl::FailedPreconditionError(absl::StrCat(key, ": cannot read ", path));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

constexpr int kKeepaliveMs = 20000;
// A child keeps a push stream, a pull and a short call open to its parent.
constexpr int kStreamsPerConnection = 16;
// Threads serving Sync calls, all children together (a child's long poll
// holds one); past it a new call is refused with RESOURCE_EXHAUSTED and the
// child retries after its backoff.
constexpr int kMaxSyncThreads = 2048;
constexpr int kKeepaliveTimeoutMs = 10000;

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const node::NodeOptions& o) {
  if (o.tls_cert.empty()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadPem(o.tls_ca, "tls_ca"));
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  ASSIGN_OR_RETURN(pair.private_key, ReadPem(o.tls_key, "tls_key"));
  ASSIGN_OR_RETURN(pair.cert_chain, ReadPem(o.tls_cert, "tls_cert"));
  ssl.pem_key_cert_pairs.push_back(std::move(pair));
  return grpc::SslServerCredentials(ssl);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentials(
    const node::NodeOptions& o) {
  if (o.tls_cert.empty()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadPem(o.tls_ca, "tls_ca"));
  ASSIGN_OR_RETURN(ssl.pem_private_key, ReadPem(o.tls_key, "tls_key"));
  ASSIGN_OR_RETURN(ssl.pem_cert_chain, ReadPem(o.tls_cert, "tls_cert"));
  return grpc::SslCredentials(ssl);
}

void ConfigureServer(const node::NodeOptions& o, grpc::ServerBuilder* b) {
  const int limit = static_cast<int>(o.max_message_mb << 20);
  b->SetMaxReceiveMessageSize(limit);
  b->SetMaxSendMessageSize(limit);
  b->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, kKeepaliveMs);
  b->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, kKeepaliveTimeoutMs);
  b->AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  b->AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, kKeepaliveMs / 2);
  b->AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  b->AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, kStreamsPerConnection);
  grpc::ResourceQuota quota("rectsync-sync");
  quota.SetMaxThreads(kMaxSyncThreads);
  b->SetResourceQuota(quota);
}

grpc::ChannelArguments ChannelArgs(const node::NodeOptions& o) {
  grpc::ChannelArguments args;
  const int limit = static_cast<int>(o.max_message_mb << 20);
  args.SetMaxReceiveMessageSize(limit);
  args.SetMaxSendMessageSize(limit);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, kKeepaliveMs);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, kKeepaliveTimeoutMs);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // Reconnect quickly after a parent restarts; our own loop adds backoff.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  return args;
}

}  // namespace rectsync::sync
