// The Query gRPC service on the public port: summaries, problem listings, a
// problem with its signed history, and reconciliation, for any enrolled
// unit asking about units in its own subtree (an ancestor, or an officer's
// tool holding a unit key). With SummaryRequest.live set, a summary is
// forwarded to the child node that owns the unit, as deep as addresses are
// known, so the answer is that node's own. Every call signs a nonce from
// Challenge into its hello. A problem outside the caller's subtree is
// answered PermissionDenied whether or not it exists, so that the answer
// tells an outsider nothing. Owns nothing; thread-safe.
#ifndef RECTSYNC_NODE_SYNC_QUERY_SERVICE_H_
#define RECTSYNC_NODE_SYNC_QUERY_SERVICE_H_

#include "node/daemon/node.h"
#include "rectsync/v1/sync.grpc.pb.h"

namespace rectsync::sync {

// The summary of request.unit() from the child node that owns it (recursing
// while a deeper owner has an advertised address), or this node's own
// answer when `request.unit()` is this node's unit. FailedPrecondition when
// no child link with an address covers the unit; Unavailable when the child
// does not answer.
absl::StatusOr<v1::Summary> LiveSummary(node::Node* node, const v1::SummaryRequest& request);

class QueryService final : public v1::Query::Service {
 public:
  explicit QueryService(node::Node* node) : node_(node) {}

  grpc::Status Challenge(grpc::ServerContext*, const v1::ChallengeRequest*,
                         v1::ChallengeReply*) override;
  grpc::Status GetSummary(grpc::ServerContext*, const v1::QuerySummaryRequest*, v1::Summary*) override;
  grpc::Status ListProblems(grpc::ServerContext*, const v1::QueryListRequest*,
                            v1::ListProblemsReply*) override;
  grpc::Status GetProblem(grpc::ServerContext*, const v1::QueryProblemRequest*,
                          v1::ProblemDetail*) override;
  grpc::Status Reconcile(grpc::ServerContext*, const v1::QueryReconcileRequest*,
                         v1::ReconcileReply*) override;

 private:
  // Authenticates the caller and checks that `unit` lies in its subtree.
  absl::Status Allow(const v1::Hello& hello, const std::string& unit);
  node::Node* node_;
};

}  // namespace rectsync::sync

#endif  // RECTSYNC_NODE_SYNC_QUERY_SERVICE_H_
