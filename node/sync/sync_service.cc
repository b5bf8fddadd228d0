#include "node/sync/sync_service.h"

#include "node/daemon/admin_service.h"

namespace rectsync::sync {

using node::ToGrpc;

grpc::Status SyncService::Handshake(grpc::ServerContext*, const v1::HandshakeRequest* req,
                                    v1::HandshakeReply* reply) {
  if (absl::Status s = node_->CheckHello(req->hello()); !s.ok()) return ToGrpc(s);
  node_->NoteAdvertised(req->hello());
  return node::Answer(node_->Handshake(req->hello().unit()), reply);
}

grpc::Status SyncService::Push(grpc::ServerContext* ctx,
                               grpc::ServerReaderWriter<v1::PushReply, v1::PushBatch>* stream) {
  v1::PushBatch batch;
  if (!stream->Read(&batch)) return grpc::Status::OK;
  if (absl::Status s = node_->CheckHello(batch.hello()); !s.ok()) return ToGrpc(s);
  const std::string pusher = batch.hello().unit();
  do {
    if (ctx->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "push cancelled");
    // A refused batch is answered in the stream; the child goes on with its
    // other origins.
    if (!stream->Write(node_->IngestPush(pusher, batch))) break;
  } while (stream->Read(&batch));
  return grpc::Status::OK;
}

grpc::Status SyncService::Pull(grpc::ServerContext* ctx, const v1::PullRequest* req,
                               grpc::ServerWriter<v1::PullBatch>* writer) {
  if (absl::Status s = node_->CheckHello(req->hello()); !s.ok()) return ToGrpc(s);
  auto batches = node_->CollectPull(req->hello().unit(), *req, [this, ctx] {
    return ctx->IsCancelled() || stopping_.load();
  });
  if (!batches.ok()) return ToGrpc(batches.status());
  for (const v1::PullBatch& b : *batches) {
    if (!writer->Write(b)) break;
  }
  return grpc::Status::OK;
}

grpc::Status SyncService::Attest(grpc::ServerContext*, const v1::AttestRequest* req,
                                 v1::AttestReply*) {
  if (absl::Status s = node_->CheckHello(req->hello()); !s.ok()) return ToGrpc(s);
  node_->NoteAdvertised(req->hello());
  return ToGrpc(node_->IngestAttestation(req->hello().unit(), req->record()));
}

grpc::Status SyncService::Restore(grpc::ServerContext* ctx, const v1::RestoreRequest* req,
                                  grpc::ServerWriter<v1::PullBatch>* writer) {
  if (absl::Status s = node_->CheckHello(req->hello()); !s.ok()) return ToGrpc(s);
  constexpr int kChunk = 1000;
  auto heads = node_->store()->HeadsUnder(req->hello().unit());
  if (!heads.ok()) return ToGrpc(heads.status());
  for (const auto& [origin, head] : *heads) {
    v1::PullBatch batch;
    batch.set_origin(origin);
    bool open = true;
    absl::Status s = node_->store()->ScanOrigin(origin, 1, [&](uint64_t seq, const v1::Record& r) {
      *batch.add_records() = r;
      batch.set_scanned_to(seq);
      if (batch.records_size() < kChunk) return true;
      open = !ctx->IsCancelled() && writer->Write(batch);
      batch.clear_records();
      return open;
    });
    if (!s.ok()) return ToGrpc(s);
    if (!open) return grpc::Status(grpc::StatusCode::CANCELLED, "restore cancelled");
    if (batch.records_size() > 0 && !writer->Write(batch)) break;
  }
  return grpc::Status::OK;
}

}  // namespace rectsync::sync
