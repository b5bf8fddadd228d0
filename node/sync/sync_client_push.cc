// SyncClient's push round (sync_client.h): a handshake for what the parent
// holds of this subtree (or its word that it holds the frontier this node
// believes), a plan of what it lacks, and one stream of batches whose
// signed receipts are kept. The loop that runs it is in sync_client.cc.
#include <deque>
#include <map>
#include <set>

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "aggregator/status_macros.h"
#include "node/sync/sync_client.h"

namespace rectsync::sync {
namespace {

std::string ReceiptKey(const std::string& parent, const std::string& origin) {
  return absl::StrCat("receipt/", parent, "/", origin);
}

}  // namespace

void SyncClient::Believed::Reset(const google::protobuf::RepeatedPtrField<v1::FrontierEntry>& frontier) {
  heads.clear();
  digest = store::FrontierDigest();
  for (const v1::FrontierEntry& f : frontier) Move(f.origin(), store::Head{f.seq(), f.head(), 0});
}

void SyncClient::Believed::Move(const std::string& origin, const store::Head& to) {
  store::Head& held = heads[origin];
  digest.Toggle(origin, held.seq, held.id);
  digest.Toggle(origin, to.seq, to.id);
  held = to;
}

absl::Status SyncClient::PushOnce() {
  v1::HandshakeRequest hreq;
  ASSIGN_OR_RETURN(*hreq.mutable_hello(), Hello());
  if (believed_.valid) hreq.set_frontier_digest(believed_.digest.bytes());
  v1::HandshakeReply frontier;
  {
    auto ctx = NewContext(options_.call_timeout_ms);
    grpc::Status gs = stub_->Handshake(ctx.get(), hreq, &frontier);
    if (!gs.ok()) return Annotate(gs, "handshake");
  }
  // The parent's frontier: what it just sent, or (frontier_unchanged) the
  // one believed, whose entries were checked against this node's records
  // when they came (from a full answer, or a receipt).
  const bool unchanged = believed_.valid && frontier.frontier_unchanged();
  if (!unchanged) believed_.Reset(frontier.frontier());
  // Until this round ends with nothing amiss (no error, refusal, fork, or
  // parent ahead or behind), the next one asks for the whole frontier.
  believed_.valid = false;
  std::map<std::string, uint64_t> frozen;
  for (const v1::FrontierEntry& f : frontier.frozen()) frozen[f.origin()] = f.seq();

  bool amiss = false;
  // Idle: this node's subtree is what the parent holds, all receipted.
  const bool idle = unchanged && frozen.empty() &&
                    node_->store()->head_table().DigestUnder(node_->unit()) == believed_.digest;
  if (!idle) {
    ASSIGN_OR_RETURN(PushPlan plan, Plan(frozen, /*checked=*/unchanged));
    if (!plan.behind.empty()) RETURN_IF_ERROR(CatchUp(plan.behind));
    ASSIGN_OR_RETURN(size_t refused, Stream(plan.work));
    amiss = plan.amiss || refused > 0;
  }
  RETURN_IF_ERROR(ReportForks(frozen));
  RETURN_IF_ERROR(RelayAttestations());
  believed_.valid = !amiss;
  return absl::OkStatus();
}

absl::StatusOr<SyncClient::PushPlan> SyncClient::Plan(const std::map<std::string, uint64_t>& frozen,
                                                      bool checked) {
  const std::string& me = node_->unit();
  PushPlan plan;
  // Origins in HeadsUnder's order: enrollers sort before those they enrol.
  ASSIGN_OR_RETURN(auto heads, node_->store()->HeadsUnder(me));
  for (const auto& [origin, head] : heads) {
    if (frozen.count(origin)) continue;
    uint64_t parent_seq = 0;
    if (auto it = believed_.heads.find(origin); it != believed_.heads.end() && it->second.seq > 0) {
      parent_seq = it->second.seq;
      if (parent_seq > head.seq && origin != me) {
        // A log of a unit below that the parent holds more of: its
        // children failed over to the parent while this node was down.
        plan.behind[origin] = head.seq;
        plan.amiss = true;
        continue;
      }
      if (parent_seq > head.seq) {
        // The parent holds more of this log than this node does: its disk
        // was lost or an old copy restored. Writing on would fork.
        const std::string refusal = absl::StrCat(
            "the parent holds ", origin, " up to #", parent_seq, " but this node only up to #",
            head.seq, ": run `rectsync restore` before writing here");
        node_->UpdateLink("parent", parent_, [&](v1::LinkStatus* l) { l->set_last_refusal(refusal); });
        plan.amiss = true;
        continue;
      }
      if (!checked) {
        ASSIGN_OR_RETURN(std::optional<v1::Record> mine, node_->store()->GetRecord(origin, parent_seq));
        if (!mine || record::RecordId(*mine) != it->second.id) {
          // A fork: send our record at that seq, so that the parent keeps
          // it as proof and reports it upward (DESIGN §3).
          plan.work.push_back({origin, parent_seq, parent_seq});
          plan.amiss = true;
          continue;
        }
      }
    }
    if (head.seq > parent_seq) {
      plan.work.push_back({origin, parent_seq + 1, head.seq});
    } else if (head.seq > 0) {
      // The parent holds it all, but this node has no receipt for it (one
      // lost with a dropped reply, or refused because the parent had just
      // changed key): send the last record again for a fresh receipt.
      ASSIGN_OR_RETURN(uint64_t receipted, Receipted(origin));
      if (receipted < head.seq) plan.work.push_back({origin, head.seq, head.seq});
    }
  }
  return plan;
}

absl::StatusOr<size_t> SyncClient::Stream(const std::vector<PushWork>& work) {
  if (work.empty()) return 0;
  ASSIGN_OR_RETURN(v1::Hello push_hello, Hello());
  // One stream; up to kWindow batches in flight, receipts read in order.
  constexpr size_t kWindow = 4;
  int64_t batches = 0;
  for (const PushWork& w : work) batches += 1 + (w.to - w.from) / options_.batch_records;
  auto ctx = NewContext(options_.call_timeout_ms * (1 + batches / static_cast<int64_t>(kWindow)));
  auto stream = stub_->Push(ctx.get());
  struct InFlight {
    std::string origin;
    uint64_t last;
  };
  std::deque<InFlight> inflight;
  std::set<std::string> refused;
  uint64_t sent = 0;
  // Reads the reply to the oldest batch in flight and keeps its receipt.
  auto read_one = [&]() -> absl::Status {
    InFlight f = inflight.front();
    inflight.pop_front();
    v1::PushReply reply;
    if (!stream->Read(&reply)) return absl::UnavailableError("push stream closed before the receipt");
    if (reply.retry_after_ms() > 0) {
      // Nothing wrong with the batch; the parent cannot store now (its disk
      // is full). Not a refusal: the round ends and is tried again later.
      retry_after_ms_ = reply.retry_after_ms();
      return absl::Status(static_cast<absl::StatusCode>(reply.code()),
                          absl::StrCat("parent ", parent_, " cannot store now: ", reply.error()));
    }
    if (reply.code() != 0) {
      // Later batches of a refused origin are refused too (they no longer
      // follow the parent's head): report the first.
      if (refused.insert(f.origin).second) {
        spdlog::warn("parent {} refused {}..#{}: {}", parent_, f.origin, f.last, reply.error());
        node_->UpdateLink("parent", parent_, [&](v1::LinkStatus* l) {
          l->set_refusals(l->refusals() + 1);
          l->set_last_refusal(reply.error());
        });
      }
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(v1::Receipt receipt, node_->CheckReceipt(parent_, reply.receipt()));
    ASSIGN_OR_RETURN(std::optional<v1::Record> at, node_->store()->GetRecord(f.origin, f.last));
    if (receipt.origin() != f.origin || receipt.seq() != f.last || !at ||
        record::RecordId(*at) != receipt.head()) {
      return absl::DataLossError(
          absl::StrCat("receipt for ", f.origin, "#", f.last, " does not match what was pushed"));
    }
    RETURN_IF_ERROR(node_->store()->PutPeer(ReceiptKey(parent_, f.origin),
                                            reply.receipt().SerializeAsString()));
    receipted_[f.origin] = receipt.seq();
    believed_.Move(f.origin, store::Head{receipt.seq(), receipt.head(), 0});
    sent += reply.stored();
    return absl::OkStatus();
  };
  auto stream_batches = [&]() -> absl::Status {
    bool first = true;
    const size_t byte_limit = static_cast<size_t>(options_.max_message_mb << 20) / 2;
    for (const PushWork& w : work) {
      for (uint64_t next = w.from; next <= w.to && !refused.count(w.origin);) {
        v1::PushBatch batch;
        if (first) *batch.mutable_hello() = push_hello;
        first = false;
        size_t bytes = 0;
        RETURN_IF_ERROR(node_->store()->ScanOrigin(w.origin, next, [&](uint64_t seq, const v1::Record& r) {
          if (seq > w.to) return false;
          *batch.add_records() = r;
          bytes += r.ByteSizeLong();
          return batch.records_size() < options_.batch_records && bytes < byte_limit;
        }));
        if (batch.records_size() == 0) break;
        const uint64_t last = next + batch.records_size() - 1;
        if (!stream->Write(batch)) return absl::UnavailableError("push stream closed by the parent");
        inflight.push_back({w.origin, last});
        next = last + 1;
        while (inflight.size() >= kWindow) RETURN_IF_ERROR(read_one());
      }
    }
    while (!inflight.empty()) RETURN_IF_ERROR(read_one());
    return absl::OkStatus();
  };
  absl::Status result = stream_batches();
  if (!result.ok()) ctx->TryCancel();
  stream->WritesDone();
  grpc::Status gs = stream->Finish();
  if (sent > 0) {
    node_->UpdateLink("parent", parent_, [&](v1::LinkStatus* l) {
      l->set_records_sent(l->records_sent() + sent);
    });
  }
  if (!result.ok()) return result;
  if (!gs.ok()) return Annotate(gs, "push");
  return refused.size();
}

absl::StatusOr<uint64_t> SyncClient::Receipted(const std::string& origin) {
  if (auto it = receipted_.find(origin); it != receipted_.end()) return it->second;
  ASSIGN_OR_RETURN(std::optional<std::string> held, node_->store()->GetPeer(ReceiptKey(parent_, origin)));
  v1::SignedReceipt sr;
  v1::Receipt r;
  const uint64_t seq = held && sr.ParseFromString(*held) && r.ParseFromString(sr.body()) ? r.seq() : 0;
  receipted_[origin] = seq;
  return seq;
}

}  // namespace rectsync::sync
