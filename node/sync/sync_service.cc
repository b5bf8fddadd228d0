#include "node/sync/sync_service.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "aggregator/unit_id.h"
#include "node/daemon/admin_service.h"

namespace rectsync::sync {

using node::ToGrpc;

namespace {

// Push is the third method of service Sync in proto/rectsync/v1/sync.proto
// (Challenge, Handshake, Push, ...): its handler is replaced by PushRaw.
constexpr int kPushMethodIndex = 2;

}  // namespace

absl::Status ParseRaw(grpc::ByteBuffer* raw, google::protobuf::Message* out, absl::string_view what) {
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (raw->Dump(&slices).ok()) {
    for (const grpc::Slice& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  if (!out->ParseFromString(bytes)) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " (", bytes.size(), " bytes) does not parse as ", out->GetTypeName(),
        ": garbage or a truncated message"));
  }
  return absl::OkStatus();
}

SyncService::SyncService(node::Node* node) : node_(node) {
  MarkMethodStreamed(
      kPushMethodIndex,
      new grpc::internal::BidiStreamingHandler<SyncService, grpc::ByteBuffer, v1::PushReply>(
          [](SyncService* service, grpc::ServerContext* ctx,
             grpc::ServerReaderWriter<v1::PushReply, grpc::ByteBuffer>* stream) {
            return service->PushRaw(ctx, stream);
          },
          this));
}

grpc::Status SyncService::Challenge(grpc::ServerContext*, const v1::ChallengeRequest* req,
                                    v1::ChallengeReply* reply) {
  return node::Answer(node_->Challenge(req->unit()), reply);
}

grpc::Status SyncService::Handshake(grpc::ServerContext*, const v1::HandshakeRequest* req,
                                    v1::HandshakeReply* reply) {
  if (absl::Status s = node_->CheckHello(req->hello()); !s.ok()) return ToGrpc(s);
  node_->NoteAdvertised(req->hello());
  return node::Answer(node_->Handshake(req->hello().unit(), req->frontier_digest()), reply);
}

grpc::Status SyncService::PushRaw(grpc::ServerContext* ctx,
                                  grpc::ServerReaderWriter<v1::PushReply, grpc::ByteBuffer>* stream) {
  CallLimits::Call call(&limits_, ctx, kFirstMessageMs);
  grpc::ByteBuffer raw;
  v1::PushBatch batch;
  if (!stream->Read(&raw)) return grpc::Status::OK;
  call.Touch();
  if (absl::Status s = ParseRaw(&raw, &batch, "push message 1"); !s.ok()) return ToGrpc(s);
  if (absl::Status s = node_->CheckHello(batch.hello()); !s.ok()) return ToGrpc(s);
  const std::string pusher = batch.hello().unit();
  if (absl::Status s = call.Claim(pusher); !s.ok()) return ToGrpc(s);
  for (int n = 1;; ++n) {
    if (ctx->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "push cancelled");
    // A refused batch is answered in the stream; the child goes on with its
    // other origins.
    if (!stream->Write(node_->IngestPush(pusher, batch))) break;
    call.Touch();
    if (!stream->Read(&raw)) break;
    call.Touch();
    batch.Clear();
    if (absl::Status s = ParseRaw(&raw, &batch, absl::StrCat("push message ", n + 1)); !s.ok()) {
      return ToGrpc(s);
    }
  }
  return grpc::Status::OK;
}

grpc::Status SyncService::Pull(grpc::ServerContext* ctx, const v1::PullRequest* req,
                               grpc::ServerWriter<v1::PullBatch>* writer) {
  CallLimits::Call call(&limits_, ctx, kIdleMs);
  if (absl::Status s = node_->CheckHello(req->hello()); !s.ok()) return ToGrpc(s);
  if (absl::Status s = call.Claim(req->hello().unit()); !s.ok()) return ToGrpc(s);
  v1::PullRequest capped = *req;
  capped.set_wait_ms(std::min<int64_t>(req->wait_ms(), kMaxPullWaitMs));
  call.Touch(capped.wait_ms() + kIdleMs);
  auto batches = node_->CollectPull(req->hello().unit(), capped, [this, ctx] {
    return ctx->IsCancelled() || stopping_.load();
  });
  if (!batches.ok()) return ToGrpc(batches.status());
  for (const v1::PullBatch& b : *batches) {
    if (!writer->Write(b)) break;
    call.Touch();
  }
  return grpc::Status::OK;
}

grpc::Status SyncService::Attest(grpc::ServerContext*, const v1::AttestRequest* req,
                                 v1::AttestReply*) {
  if (absl::Status s = node_->CheckHello(req->hello()); !s.ok()) return ToGrpc(s);
  node_->NoteAdvertised(req->hello());
  return ToGrpc(node_->IngestAttestation(req->hello().unit(), req->record()));
}

grpc::Status SyncService::ReportForks(grpc::ServerContext*, const v1::ForkReport* req,
                                      v1::ForkReportReply* reply) {
  if (absl::Status s = node_->CheckHello(req->hello()); !s.ok()) return ToGrpc(s);
  auto recorded = node_->IngestForkProofs(req->hello().unit(), node::Node::ForkSource::kChild,
                                          req->proofs());
  if (!recorded.ok()) return ToGrpc(recorded.status());
  reply->set_recorded(*recorded);
  return grpc::Status::OK;
}

grpc::Status SyncService::Restore(grpc::ServerContext* ctx, const v1::RestoreRequest* req,
                                  grpc::ServerWriter<v1::PullBatch>* writer) {
  CallLimits::Call call(&limits_, ctx, kIdleMs);
  if (absl::Status s = node_->CheckHello(req->hello()); !s.ok()) return ToGrpc(s);
  const std::string& caller = req->hello().unit();
  if (absl::Status s = call.Claim(caller); !s.ok()) return ToGrpc(s);
  // origin -> the seq to send after: every origin under the caller from the
  // start, or the ones it asked for.
  std::map<std::string, uint64_t> after;
  if (req->after().empty()) {
    auto heads = node_->store()->HeadsUnder(caller);
    if (!heads.ok()) return ToGrpc(heads.status());
    for (const auto& [origin, head] : *heads) after[origin] = 0;
  } else {
    for (const v1::FrontierEntry& e : req->after()) {
      if (!aggregator::StrictlyBelow(e.origin(), caller)) {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            absl::StrCat("restore: \"", e.origin(), "\" is not a unit below \"", caller, "\""));
      }
      after[e.origin()] = e.seq();
    }
  }
  constexpr int kChunk = 1000;
  for (const auto& [origin, seq] : after) {
    v1::PullBatch batch;
    batch.set_origin(origin);
    bool open = true;
    absl::Status s = node_->store()->ScanOrigin(origin, seq + 1, [&](uint64_t at, const v1::Record& r) {
      *batch.add_records() = r;
      batch.set_scanned_to(at);
      if (batch.records_size() < kChunk) return true;
      open = !ctx->IsCancelled() && writer->Write(batch);
      call.Touch();
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
