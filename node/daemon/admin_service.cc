#include "node/daemon/admin_service.h"

namespace rectsync::node {
grpc::Status ToGrpc(const absl::Status& s) {
  // absl and gRPC share the canonical code numbering.
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

absl::Status FromGrpc(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

grpc::Status AdminService::Append(grpc::ServerContext*, const v1::AppendRequest* req,
                                  v1::AppendReply* reply) {
  return Answer(node_->Append(req->body()), reply);
}

grpc::Status AdminService::AppendBatch(grpc::ServerContext*, const v1::AppendBatchRequest* req,
                                       v1::AppendBatchReply* reply) {
  auto r = node_->AppendAll({req->bodies().begin(), req->bodies().end()});
  if (!r.ok()) return ToGrpc(r.status());
  for (v1::AppendReply& one : *r) *reply->add_replies() = std::move(one);
  return grpc::Status::OK;
}

grpc::Status AdminService::Enroll(grpc::ServerContext*, const v1::EnrollRequest* req,
                                  v1::EnrollmentBundle* reply) {
  return Answer(node_->Enroll(*req), reply);
}

grpc::Status AdminService::GetProblem(grpc::ServerContext*, const v1::GetProblemRequest* req,
                                      v1::ProblemDetail* reply) {
  return Answer(node_->GetProblem(req->problem_id()), reply);
}

grpc::Status AdminService::ListProblems(grpc::ServerContext*, const v1::ListProblemsRequest* req,
                                        v1::ListProblemsReply* reply) {
  return Answer(node_->ListProblems(*req), reply);
}

grpc::Status AdminService::GetSummary(grpc::ServerContext*, const v1::SummaryRequest* req,
                                      v1::Summary* reply) {
  if (req->live()) {
    if (!live_) {
      return ToGrpc(absl::FailedPreconditionError(
          "a live summary needs the node's daemon (rectsyncd) running"));
    }
    return Answer(live_(*req), reply);
  }
  return Answer(node_->GetSummary(*req), reply);
}

grpc::Status AdminService::Verify(grpc::ServerContext*, const v1::VerifyRequest*,
                                  v1::VerifyReply* reply) {
  return Answer(node_->Verify(), reply);
}

grpc::Status AdminService::Identity(grpc::ServerContext*, const v1::IdentityRequest*,
                                    v1::IdentityReply* reply) {
  return Answer(node_->Identity(), reply);
}

grpc::Status AdminService::SyncStatus(grpc::ServerContext*, const v1::SyncStatusRequest*,
                                      v1::SyncStatusReply* reply) {
  return Answer(node_->SyncStatus(), reply);
}

grpc::Status AdminService::ImportLedger(grpc::ServerContext*, const v1::ImportLedgerRequest* req,
                                        v1::ImportLedgerReply* reply) {
  return Answer(node_->ImportLedger(*req), reply);
}

grpc::Status AdminService::Report(grpc::ServerContext*, const v1::ReportRequest* req, v1::ReportReply* reply) {
  return Answer(node_->Report(*req), reply);
}

grpc::Status AdminService::Reconcile(grpc::ServerContext*, const v1::ReconcileRequest* req,
                                     v1::ReconcileReply* reply) {
  return Answer(node_->Reconcile(*req), reply);
}

grpc::Status AdminService::ExportBundle(grpc::ServerContext*, const v1::ExportBundleRequest* req,
                                        v1::ExportBundleReply* reply) {
  return Answer(node_->ExportBundle(*req), reply);
}

grpc::Status AdminService::ImportBundle(grpc::ServerContext*, const v1::ImportBundleRequest* req,
                                        v1::ImportBundleReply* reply) {
  return Answer(node_->ImportBundle(req->file()), reply);
}

grpc::Status AdminService::RotateKey(grpc::ServerContext*, const v1::RotateKeyRequest* req,
                                     v1::EnrollmentBundle* reply) {
  return Answer(node_->RotateKey(*req), reply);
}

grpc::Status AdminService::RevokeKey(grpc::ServerContext*, const v1::RevokeKeyRequest* req,
                                     v1::AppendBatchReply* reply) {
  return Answer(node_->RevokeKey(*req), reply);
}

grpc::Status AdminService::Keys(grpc::ServerContext*, const v1::KeysRequest* req, v1::KeysReply* reply) {
  return Answer(node_->Keys(*req), reply);
}

}  // namespace rectsync::node
