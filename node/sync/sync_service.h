// The Sync gRPC service a parent serves on its public port (DESIGN §7): a
// thin adapter from the protocol to Node's sync methods. Every call is
// authenticated by its signed Hello before anything else is read. Owns
// nothing; the Node must outlive it. Thread-safe.
#ifndef RECTSYNC_NODE_SYNC_SYNC_SERVICE_H_
#define RECTSYNC_NODE_SYNC_SYNC_SERVICE_H_

#include <atomic>

#include "node/daemon/node.h"
#include "rectsync/v1/sync.grpc.pb.h"

namespace rectsync::sync {

class SyncService final : public v1::Sync::Service {
 public:
  explicit SyncService(node::Node* node) : node_(node) {}

  grpc::Status Handshake(grpc::ServerContext*, const v1::HandshakeRequest*,
                         v1::HandshakeReply*) override;
  grpc::Status Push(grpc::ServerContext*,
                    grpc::ServerReaderWriter<v1::PushReply, v1::PushBatch>* stream) override;
  grpc::Status Pull(grpc::ServerContext*, const v1::PullRequest*,
                    grpc::ServerWriter<v1::PullBatch>* writer) override;
  grpc::Status Restore(grpc::ServerContext*, const v1::RestoreRequest*,
                       grpc::ServerWriter<v1::PullBatch>* writer) override;
  grpc::Status Attest(grpc::ServerContext*, const v1::AttestRequest*, v1::AttestReply*) override;

  // Ends long polls at once (before the server shuts down).
  void Stop() { stopping_ = true; }

 private:
  node::Node* node_;
  std::atomic<bool> stopping_{false};
};

}  // namespace rectsync::sync

#endif  // RECTSYNC_NODE_SYNC_SYNC_SERVICE_H_
