// The Admin gRPC service: a thin adapter from the admin protocol to Node.
// Owns nothing; the Node must outlive it. Thread-safe (Node is).
#ifndef RECTSYNC_NODE_DAEMON_ADMIN_SERVICE_H_
#define RECTSYNC_NODE_DAEMON_ADMIN_SERVICE_H_

#include <functional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "node/daemon/node.h"
#include "rectsync/v1/admin.grpc.pb.h"

namespace rectsync::node {

// The one conversion from absl::Status to grpc::Status.
grpc::Status ToGrpc(const absl::Status& status);
// And back, for clients.
absl::Status FromGrpc(const grpc::Status& status);

// Answers a unary call from a StatusOr: the value into `out`, or the error.
template <typename T>
grpc::Status Answer(absl::StatusOr<T> result, T* out) {
  if (!result.ok()) return ToGrpc(result.status());
  *out = std::move(*result);
  return grpc::Status::OK;
}

class AdminService final : public v1::Admin::Service {
 public:
  // Answers GetSummary requests with live = true (set by the daemon, which
  // owns the network side; absent in-process).
  using LiveSummaryFn = std::function<absl::StatusOr<v1::Summary>(const v1::SummaryRequest&)>;

  explicit AdminService(Node* node, LiveSummaryFn live = nullptr)
      : node_(node), live_(std::move(live)) {}

  grpc::Status Append(grpc::ServerContext*, const v1::AppendRequest*, v1::AppendReply*) override;
  grpc::Status AppendBatch(grpc::ServerContext*, const v1::AppendBatchRequest*,
                           v1::AppendBatchReply*) override;
  grpc::Status Enroll(grpc::ServerContext*, const v1::EnrollRequest*,
                      v1::EnrollmentBundle*) override;
  grpc::Status GetProblem(grpc::ServerContext*, const v1::GetProblemRequest*,
                          v1::ProblemDetail*) override;
  grpc::Status ListProblems(grpc::ServerContext*, const v1::ListProblemsRequest*,
                            v1::ListProblemsReply*) override;
  grpc::Status GetSummary(grpc::ServerContext*, const v1::SummaryRequest*, v1::Summary*) override;
  grpc::Status Verify(grpc::ServerContext*, const v1::VerifyRequest*, v1::VerifyReply*) override;
  grpc::Status Identity(grpc::ServerContext*, const v1::IdentityRequest*,
                        v1::IdentityReply*) override;
  grpc::Status SyncStatus(grpc::ServerContext*, const v1::SyncStatusRequest*,
                          v1::SyncStatusReply*) override;
  grpc::Status Reconcile(grpc::ServerContext*, const v1::ReconcileRequest*,
                         v1::ReconcileReply*) override;
  grpc::Status ImportLedger(grpc::ServerContext*, const v1::ImportLedgerRequest*,
                            v1::ImportLedgerReply*) override;
  grpc::Status Report(grpc::ServerContext*, const v1::ReportRequest*, v1::ReportReply*) override;
  grpc::Status ExportBundle(grpc::ServerContext*, const v1::ExportBundleRequest*,
                            v1::ExportBundleReply*) override;
  grpc::Status ImportBundle(grpc::ServerContext*, const v1::ImportBundleRequest*,
                            v1::ImportBundleReply*) override;
  grpc::Status RotateKey(grpc::ServerContext*, const v1::RotateKeyRequest*, v1::EnrollmentBundle*) override;
  grpc::Status RevokeKey(grpc::ServerContext*, const v1::RevokeKeyRequest*, v1::AppendBatchReply*) override;
  grpc::Status Keys(grpc::ServerContext*, const v1::KeysRequest*, v1::KeysReply*) override;

 private:
  Node* node_;
  LiveSummaryFn live_;
};

}  // namespace rectsync::node

#endif  // RECTSYNC_NODE_DAEMON_ADMIN_SERVICE_H_
