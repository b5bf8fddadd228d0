#include "node/sync/query_service.h"

#include "absl/strings/str_cat.h"
#include "aggregator/status_macros.h"
#include "aggregator/unit_id.h"
#include "node/daemon/admin_service.h"
#include "node/sync/credentials.h"
#include "node/sync/hello.h"

namespace rectsync::sync {
namespace {

using node::FromGrpc;
using node::Answer;
using node::ToGrpc;

}  // namespace

absl::StatusOr<v1::Summary> LiveSummary(node::Node* node, const v1::SummaryRequest& request) {
  const std::string& unit = request.unit().empty() ? node->unit() : request.unit();
  RETURN_IF_ERROR(aggregator::ValidateUnitId(unit, "unit"));
  if (unit == node->unit()) {
    v1::SummaryRequest local = request;
    local.set_live(false);
    ASSIGN_OR_RETURN(v1::Summary s, node->GetSummary(local));
    s.set_live(true);
    return s;
  }
  if (!aggregator::StrictlyBelow(unit, node->unit())) {
    return absl::InvalidArgumentError(
        absl::StrCat("unit: \"", unit, "\" is not below this node's unit \"", node->unit(), "\""));
  }
  // The child link whose unit is on the path to `unit` (deepest first).
  ASSIGN_OR_RETURN(v1::SyncStatusReply status, node->SyncStatus());
  const v1::LinkStatus* via = nullptr;
  for (const v1::LinkStatus& l : status.links()) {
    if (l.direction() != "child" || !aggregator::InSubtree(unit, l.peer())) continue;
    if (via == nullptr || l.peer().size() > via->peer().size()) via = &l;
  }
  if (via == nullptr || via->address().empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no child node of \"", node->unit(), "\" that holds \"", unit,
        "\" has advertised an address; the ledger's summary (without --live) is as of its last sync"));
  }
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ChannelCredentials> creds,
                   ChannelCredentials(node->options()));
  auto channel = grpc::CreateCustomChannel(via->address(), creds, ChannelArgs(node->options()));
  auto stub = v1::Query::NewStub(channel);
  v1::QuerySummaryRequest req;
  ASSIGN_OR_RETURN(*req.mutable_hello(),
                   SignedHello(stub.get(), *node, via->peer(), node->options().call_timeout_ms));
  *req.mutable_request() = request;
  req.mutable_request()->set_unit(unit);
  req.mutable_request()->set_live(true);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(node->options().call_timeout_ms));
  v1::Summary reply;
  grpc::Status s = stub->GetSummary(&ctx, req, &reply);
  if (!s.ok()) {
    absl::Status a = FromGrpc(s);
    return absl::Status(a.code(), absl::StrCat("live summary from ", via->peer(), " at ",
                                               via->address(), ": ", a.message()));
  }
  reply.set_live(true);
  return reply;
}

absl::Status QueryService::Allow(const v1::Hello& hello, const std::string& unit) {
  RETURN_IF_ERROR(node_->CheckCaller(hello));
  const std::string& target = unit.empty() ? node_->unit() : unit;
  if (!aggregator::InSubtree(target, hello.unit())) {
    return absl::PermissionDeniedError(absl::StrCat(
        "\"", hello.unit(), "\" may query only its own subtree, not \"", target, "\""));
  }
  return absl::OkStatus();
}

grpc::Status QueryService::Challenge(grpc::ServerContext*, const v1::ChallengeRequest* req,
                                     v1::ChallengeReply* reply) {
  return Answer(node_->Challenge(req->unit()), reply);
}

grpc::Status QueryService::GetSummary(grpc::ServerContext*, const v1::QuerySummaryRequest* req,
                                   v1::Summary* reply) {
  if (absl::Status s = Allow(req->hello(), req->request().unit()); !s.ok()) return ToGrpc(s);
  if (req->request().live()) return Answer(LiveSummary(node_, req->request()), reply);
  return Answer(node_->GetSummary(req->request()), reply);
}

grpc::Status QueryService::ListProblems(grpc::ServerContext*, const v1::QueryListRequest* req,
                                        v1::ListProblemsReply* reply) {
  if (absl::Status s = Allow(req->hello(), req->request().unit()); !s.ok()) return ToGrpc(s);
  return Answer(node_->ListProblems(req->request()), reply);
}

grpc::Status QueryService::GetProblem(grpc::ServerContext*, const v1::QueryProblemRequest* req,
                                      v1::ProblemDetail* reply) {
  if (absl::Status s = node_->CheckCaller(req->hello()); !s.ok()) return ToGrpc(s);
  const std::string& caller = req->hello().unit();
  const std::string& id = req->request().problem_id();
  // One answer for "outside your subtree" and "no such problem", unless the
  // id was minted inside the caller's subtree (then the caller may learn
  // that it does not exist).
  const absl::Status outside = absl::PermissionDeniedError(absl::StrCat(
      "problem \"", id, "\" is not one of \"", caller, "\"'s subtree"));
  const size_t colon = id.rfind(':');
  const bool minted_inside = colon != std::string::npos &&
                             aggregator::InSubtree(id.substr(0, colon), caller);
  // Decide on the stored state alone, before building any detail.
  auto state = node_->store()->GetProblem(id);
  if (!state.ok()) return ToGrpc(state.status());
  if (!*state || !aggregator::InSubtree((*state)->unit(), caller)) {
    if (!*state && minted_inside) {
      return ToGrpc(absl::NotFoundError(absl::StrCat("problem_id: unknown problem \"", id, "\"")));
    }
    return ToGrpc(outside);
  }
  return Answer(node_->GetProblem(id), reply);
}

grpc::Status QueryService::Reconcile(grpc::ServerContext*, const v1::QueryReconcileRequest* req,
                                     v1::ReconcileReply* reply) {
  if (absl::Status s = Allow(req->hello(), req->request().unit()); !s.ok()) return ToGrpc(s);
  return Answer(node_->Reconcile(req->request()), reply);
}

}  // namespace rectsync::sync
