// The Sync gRPC service a parent serves on its public port (DESIGN §7): a
// thin adapter from the protocol to Node's sync methods. Every call but
// Challenge is authenticated by its signed Hello before anything else is
// read; a hello signs a nonce from Challenge and opens one call. Push reads
// raw messages and parses them itself, so that bytes which do not parse end
// the stream with INVALID_ARGUMENT naming the message, not with a silent OK.
// Streaming calls are watched by CallLimits (idle calls cancelled, calls per
// unit bounded, long polls capped). The Node must outlive it. Thread-safe.
#ifndef RECTSYNC_NODE_SYNC_SYNC_SERVICE_H_
#define RECTSYNC_NODE_SYNC_SYNC_SERVICE_H_

#include <atomic>

#include <grpcpp/support/byte_buffer.h>

#include "node/daemon/node.h"
#include "node/sync/call_limits.h"
#include "rectsync/v1/sync.grpc.pb.h"

namespace rectsync::sync {

class SyncService final : public v1::Sync::Service {
 public:
  explicit SyncService(node::Node* node);

  grpc::Status Challenge(grpc::ServerContext*, const v1::ChallengeRequest*,
                         v1::ChallengeReply*) override;
  grpc::Status Handshake(grpc::ServerContext*, const v1::HandshakeRequest*,
                         v1::HandshakeReply*) override;
  grpc::Status Pull(grpc::ServerContext*, const v1::PullRequest*,
                    grpc::ServerWriter<v1::PullBatch>* writer) override;
  grpc::Status Restore(grpc::ServerContext*, const v1::RestoreRequest*,
                       grpc::ServerWriter<v1::PullBatch>* writer) override;
  grpc::Status Attest(grpc::ServerContext*, const v1::AttestRequest*, v1::AttestReply*) override;
  grpc::Status ReportForks(grpc::ServerContext*, const v1::ForkReport*,
                           v1::ForkReportReply*) override;

  // Ends long polls at once (before the server shuts down).
  void Stop() { stopping_ = true; }

 private:
  // Push, on raw messages (registered in the constructor in place of the
  // generated handler).
  grpc::Status PushRaw(grpc::ServerContext* ctx,
                       grpc::ServerReaderWriter<v1::PushReply, grpc::ByteBuffer>* stream);

  node::Node* node_;
  std::atomic<bool> stopping_{false};
  CallLimits limits_;
};

// Parses a raw gRPC message as `out`; InvalidArgument naming `what` and its
// size when the bytes are not a valid message of that type.
absl::Status ParseRaw(grpc::ByteBuffer* raw, google::protobuf::Message* out, absl::string_view what);

}  // namespace rectsync::sync

#endif  // RECTSYNC_NODE_SYNC_SYNC_SERVICE_H_
