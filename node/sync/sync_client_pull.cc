// SyncClient's downward side (sync_client.h): the pull loop, and the
// Restore calls that rebuild a lost disk or catch up on units below whose
// children pushed to the parent while this node was down. The push round
// is in sync_client_push.cc; the loops' timing and the link bookkeeping in
// sync_client.cc.
#include <algorithm>
#include <map>

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "aggregator/status_macros.h"
#include "aggregator/unit_id.h"
#include "node/sync/sync_client.h"

namespace rectsync::sync {

void SyncClient::PullLoop() {
  int failures = 0;
  while (!stopping_) {
    if (!Active()) {
      if (!Sleep(std::min<int64_t>(options_.push_interval_ms, 1000))) break;
      continue;
    }
    absl::Status s = PullOnce(options_.pull_wait_ms);
    if (stopping_) break;
    if (!s.ok()) {
      NoteResult(s);
      if (failures == 0) spdlog::warn("pull from {} ({}): {}", parent_, address_, std::string(s.message()));
      if (!Sleep(Backoff(failures++))) break;
      continue;
    }
    failures = 0;
  }
}

absl::StatusOr<uint64_t> SyncClient::ReadRestore(const v1::RestoreRequest& req, int64_t timeout_ms,
                                                  absl::string_view what) {
  auto ctx = NewContext(timeout_ms);
  auto reader = stub_->Restore(ctx.get(), req);
  v1::PullBatch batch;
  uint64_t taken = 0;
  absl::Status ingest;
  while (reader->Read(&batch)) {
    ingest = node_->IngestRestored(batch);
    if (!ingest.ok()) {
      ctx->TryCancel();
      break;
    }
    taken += batch.records_size();
  }
  grpc::Status gs = reader->Finish();
  RETURN_IF_ERROR(ingest);
  if (!gs.ok()) return Annotate(gs, what);
  return taken;
}

absl::Status SyncClient::CatchUp(const std::map<std::string, uint64_t>& behind) {
  v1::RestoreRequest req;
  ASSIGN_OR_RETURN(*req.mutable_hello(), Hello());
  for (const auto& [origin, seq] : behind) {
    v1::FrontierEntry* e = req.add_after();
    e->set_origin(origin);
    e->set_seq(seq);
  }
  ASSIGN_OR_RETURN(uint64_t taken, ReadRestore(req, options_.call_timeout_ms * 4, "catch-up"));
  spdlog::info("caught up {} records of {} origin(s) below from {}", taken, behind.size(), parent_);
  node_->UpdateLink("parent", parent_, [&](v1::LinkStatus* l) {
    l->set_records_received(l->records_received() + taken);
  });
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> SyncClient::RestoreFromParent() {
  for (uint64_t seen = node_->changes();;) {
    RETURN_IF_ERROR(PullOnce(0));
    const uint64_t now = node_->changes();
    if (now == seen) break;
    seen = now;
  }
  v1::RestoreRequest req;
  ASSIGN_OR_RETURN(*req.mutable_hello(), Hello());
  return ReadRestore(req, options_.call_timeout_ms * 20, "restore");
}

absl::Status SyncClient::PullOnce(int64_t wait_ms) {
  v1::PullRequest req;
  ASSIGN_OR_RETURN(*req.mutable_hello(), Hello());
  ASSIGN_OR_RETURN(std::vector<v1::FrontierEntry> cursor, node_->PullCursor());
  for (v1::FrontierEntry& e : cursor) *req.add_cursor() = std::move(e);
  ASSIGN_OR_RETURN(std::vector<v1::FrontierEntry> forks, node_->KnownForks());
  for (v1::FrontierEntry& e : forks) *req.add_known_forks() = std::move(e);
  req.set_wait_ms(static_cast<uint32_t>(wait_ms));
  auto ctx = NewContext(options_.call_timeout_ms + wait_ms);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return absl::CancelledError("stopping");
    pull_ctx_ = ctx.get();
  }
  auto reader = stub_->Pull(ctx.get(), req);
  v1::PullBatch batch;
  absl::Status ingest;
  while (reader->Read(&batch)) {
    ingest = node_->IngestPull(parent_, batch);
    if (!ingest.ok()) {
      ctx->TryCancel();
      break;
    }
  }
  grpc::Status gs = reader->Finish();
  {
    std::lock_guard<std::mutex> lock(mu_);
    pull_ctx_ = nullptr;
  }
  if (!ingest.ok()) return ingest;
  if (!gs.ok()) return Annotate(gs, "pull");
  NoteResult(absl::OkStatus());
  return absl::OkStatus();
}

}  // namespace rectsync::sync
