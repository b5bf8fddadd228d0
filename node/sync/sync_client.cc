#include "node/sync/sync_client.h"

#include <algorithm>
#include <deque>
#include <set>
#include <map>

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "aggregator/status_macros.h"
#include "aggregator/unit_id.h"
#include "node/daemon/admin_service.h"
#include "node/sync/credentials.h"
#include "node/sync/hello.h"

namespace rectsync::sync {
namespace {

using node::FromGrpc;

std::string ReceiptKey(const std::string& parent, const std::string& origin) {
  return absl::StrCat("receipt/", parent, "/", origin);
}

}  // namespace

absl::Status SyncClient::Annotate(const grpc::Status& s, absl::string_view what) {
  absl::Status a = FromGrpc(s);
  return absl::Status(a.code(), absl::StrCat(what, ": ", a.message()));
}

absl::StatusOr<std::unique_ptr<SyncClient>> SyncClient::Create(node::Node* node) {
  const node::NodeOptions& o = node->options();
  if (o.parent.empty()) return absl::FailedPreconditionError("parent: no parent address configured");
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ChannelCredentials> creds, ChannelCredentials(o));
  auto channel = grpc::CreateCustomChannel(o.parent, creds, ChannelArgs(o));
  return std::unique_ptr<SyncClient>(new SyncClient(node, std::move(channel), o.parent, o.parent_unit, nullptr));
}

absl::StatusOr<std::unique_ptr<SyncClient>> SyncClient::CreateFailover(node::Node* node, const SyncClient* primary) {
  const node::NodeOptions& o = node->options();
  if (o.failover.empty()) return absl::FailedPreconditionError("failover: no failover address configured");
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ChannelCredentials> creds, ChannelCredentials(o));
  auto channel = grpc::CreateCustomChannel(o.failover, creds, ChannelArgs(o));
  return std::unique_ptr<SyncClient>(
      new SyncClient(node, std::move(channel), o.failover, o.failover_unit, primary));
}

SyncClient::SyncClient(node::Node* node, std::shared_ptr<grpc::Channel> channel, std::string address,
                       std::string parent, const SyncClient* primary)
    : node_(node),
      options_(node->options()),
      address_(std::move(address)),
      parent_(std::move(parent)),
      primary_(primary),
      channel_(std::move(channel)),
      stub_(v1::Sync::NewStub(channel_)),
      rng_(std::random_device{}()) {}

int64_t SyncClient::UnreachableForMs() const {
  return node_->NowMillis() - std::max(started_ms_.load(), last_success_ms_.load());
}

bool SyncClient::Active() const {
  return primary_ == nullptr ||
         (primary_->started_ms_.load() > 0 && primary_->UnreachableForMs() >= options_.failover_after_ms);
}

SyncClient::~SyncClient() { Stop(); }

void SyncClient::Start() {
  started_ms_ = node_->NowMillis();
  push_thread_ = std::thread([this] { PushLoop(); });
  pull_thread_ = std::thread([this] { PullLoop(); });
}

void SyncClient::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_.exchange(true)) return;
    if (pull_ctx_ != nullptr) pull_ctx_->TryCancel();
  }
  cv_.notify_all();
  if (push_thread_.joinable()) push_thread_.join();
  if (pull_thread_.joinable()) pull_thread_.join();
}

bool SyncClient::Sleep(int64_t ms) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return stopping_.load(); });
  return !stopping_;
}

int64_t SyncClient::Backoff(int failures) {
  // Full jitter: uniform in [0, min(max, min * 2^failures)], at least min/2.
  int64_t cap = options_.backoff_min_ms;
  for (int i = 0; i < failures && cap < options_.backoff_max_ms; ++i) cap *= 2;
  cap = std::min(cap, options_.backoff_max_ms);
  std::lock_guard<std::mutex> lock(mu_);
  std::uniform_int_distribution<int64_t> d(options_.backoff_min_ms / 2, std::max<int64_t>(cap, 1));
  return d(rng_);
}

std::unique_ptr<grpc::ClientContext> SyncClient::NewContext(int64_t timeout_ms) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
  return ctx;
}

void SyncClient::NoteResult(const absl::Status& s) {
  const int64_t now = node_->NowMillis();
  if (s.ok()) last_success_ms_ = now;
  node_->UpdateLink("parent", parent_, [&](v1::LinkStatus* l) {
    l->set_address(address_);
    l->set_failover(primary_ != nullptr);
    if (s.ok()) {
      l->set_last_contact_ms(now);
      l->set_last_success_ms(now);
      l->set_last_error("");
    } else {
      if (s.code() != absl::StatusCode::kUnavailable &&
          s.code() != absl::StatusCode::kDeadlineExceeded) {
        l->set_last_contact_ms(now);
      }
      l->set_last_error(std::string(s.message()));
    }
  });
}

void SyncClient::PushLoop() {
  int failures = 0;
  bool was_active = false;
  while (!stopping_) {
    if (!Active()) {
      if (was_active) spdlog::info("parent {} reachable again: failover to {} stops", options_.parent_unit, parent_);
      was_active = false;
      if (!Sleep(std::min<int64_t>(options_.push_interval_ms, 1000))) break;
      continue;
    }
    if (primary_ != nullptr && !was_active) {
      spdlog::warn("parent {} unreachable for {} s: syncing with {} ({}) instead", options_.parent_unit,
                   primary_->UnreachableForMs() / 1000, parent_, address_);
    }
    was_active = true;
    const uint64_t seen = node_->changes();
    absl::Status s = options_.uplink == "summary" ? AttestOnce() : PushOnce();
    NoteResult(s);
    if (!s.ok()) {
      if (failures == 0) spdlog::warn("push to {} ({}): {}", parent_, address_, std::string(s.message()));
      if (!Sleep(std::max(Backoff(failures++), retry_after_ms_.exchange(0)))) break;
      continue;
    }
    failures = 0;
    // Attest this subtree's summary when it changed (DESIGN §8); the new
    // record wakes this loop and goes up in the next round.
    const int64_t now = node_->NowMillis();
    if (primary_ == nullptr && options_.uplink == "full" && options_.attest_interval_ms > 0 &&
        now - last_attest_ms_ >= options_.attest_interval_ms) {
      last_attest_ms_ = now;
      auto attested = node_->Attest("rectsyncd");
      if (!attested.ok()) spdlog::warn("attest: {}", std::string(attested.status().message()));
      if (attested.ok() && *attested) continue;
    }
    // Idle until something is written here or a heartbeat is due.
    const auto until = std::chrono::steady_clock::now() +
                       std::chrono::milliseconds(options_.push_interval_ms);
    while (!stopping_ && std::chrono::steady_clock::now() < until && Active()) {
      if (node_->WaitForChange(seen, std::chrono::milliseconds(100)) != seen) break;
    }
  }
}

absl::Status SyncClient::PushOnce() {
  absl::Status round = PushRound();
  // A round that found anything amiss (an error, a refusal, a fork, the
  // parent ahead or behind) starts the next one from the whole frontier.
  if (!round.ok()) believed_.valid = false;
  return round;
}

void SyncClient::Believed::Reset(const google::protobuf::RepeatedPtrField<v1::FrontierEntry>& frontier) {
  heads.clear();
  digest = store::FrontierDigest();
  for (const v1::FrontierEntry& f : frontier) Move(f.origin(), store::Head{f.seq(), f.head(), 0});
}

void SyncClient::Believed::Move(const std::string& origin, const store::Head& to) {
  store::Head& held = heads[origin];
  digest.Move(origin, held, to);
  held = to;
}

absl::Status SyncClient::PushRound() {
  const std::string& me = node_->unit();
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
  believed_.valid = false;  // until this round ends with nothing amiss
  std::map<std::string, uint64_t> frozen;
  for (const v1::FrontierEntry& f : frontier.frozen()) frozen[f.origin()] = f.seq();
  // Idle: this node's subtree is what the parent holds, all receipted.
  if (unchanged && frozen.empty() && node_->store()->head_table().DigestUnder(me) == believed_.digest) {
    RETURN_IF_ERROR(ReportForks(frozen));
    RETURN_IF_ERROR(RelayAttestations());
    believed_.valid = true;
    return absl::OkStatus();
  }

  // What to push: origins (enrollers sort before those they enrol) whose
  // local head is past the parent's.
  struct Work {
    std::string origin;
    uint64_t from;
    uint64_t to;
  };
  std::vector<Work> work;
  std::map<std::string, uint64_t> behind;
  bool amiss = false;
  ASSIGN_OR_RETURN(auto heads, node_->store()->HeadsUnder(me));
  for (const auto& [origin, head] : heads) {
    if (frozen.count(origin)) continue;
    uint64_t parent_seq = 0;
    if (auto it = believed_.heads.find(origin); it != believed_.heads.end() && it->second.seq > 0) {
      parent_seq = it->second.seq;
      if (parent_seq > head.seq && origin != me) {
        // A log of a unit below that the parent holds more of: its
        // children failed over to the parent while this node was down.
        behind[origin] = head.seq;
        amiss = true;
        continue;
      }
      if (parent_seq > head.seq) {
        // The parent holds more of this log than this node does: its disk
        // was lost or an old copy restored. Writing on would fork.
        const std::string refusal = absl::StrCat(
            "the parent holds ", origin, " up to #", parent_seq, " but this node only up to #",
            head.seq, ": run `rectsync restore` before writing here");
        node_->UpdateLink("parent", parent_, [&](v1::LinkStatus* l) { l->set_last_refusal(refusal); });
        amiss = true;
        continue;
      }
      if (!unchanged) {
        ASSIGN_OR_RETURN(std::optional<v1::Record> mine, node_->store()->GetRecord(origin, parent_seq));
        if (!mine || record::RecordId(*mine) != it->second.id) {
          // A fork: send our record at that seq, so that the parent keeps
          // it as proof and reports it upward (DESIGN §3).
          work.push_back({origin, parent_seq, parent_seq});
          amiss = true;
          continue;
        }
      }
    }
    if (head.seq > parent_seq) {
      work.push_back({origin, parent_seq + 1, head.seq});
    } else if (head.seq > 0) {
      // The parent holds it all, but this node has no receipt for it (one
      // lost with a dropped reply, or refused because the parent had just
      // changed key): send the last record again for a fresh receipt.
      ASSIGN_OR_RETURN(uint64_t receipted, Receipted(origin));
      if (receipted < head.seq) work.push_back({origin, head.seq, head.seq});
    }
  }
  if (!behind.empty()) RETURN_IF_ERROR(CatchUp(behind));
  if (work.empty()) {
    RETURN_IF_ERROR(ReportForks(frozen));
    RETURN_IF_ERROR(RelayAttestations());
    believed_.valid = !amiss;
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(v1::Hello push_hello, Hello());

  // One stream; up to kWindow batches in flight, receipts read in order.
  constexpr size_t kWindow = 4;
  int64_t batches = 0;
  for (const Work& w : work) batches += 1 + (w.to - w.from) / options_.batch_records;
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
    for (const Work& w : work) {
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
  if (result.ok() && gs.ok()) result = ReportForks(frozen);
  if (result.ok() && gs.ok()) result = RelayAttestations();
  if (sent > 0) {
    node_->UpdateLink("parent", parent_, [&](v1::LinkStatus* l) {
      l->set_records_sent(l->records_sent() + sent);
    });
  }
  if (!result.ok()) return result;
  if (!gs.ok()) return Annotate(gs, "push");
  believed_.valid = !amiss && refused.empty();
  return absl::OkStatus();
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

absl::StatusOr<v1::Hello> SyncClient::Hello() {
  return SignedHello(stub_.get(), *node_, parent_, options_.call_timeout_ms);
}

absl::Status SyncClient::ReportForks(const std::map<std::string, uint64_t>& parent_frozen) {
  // Proofs of this subtree's forks that the parent does not show frozen.
  const std::string& me = node_->unit();
  ASSIGN_OR_RETURN(std::vector<v1::ForkProof> proofs,
                   node_->ForkProofs([&](const std::string& origin, uint64_t seq) {
                     auto it = parent_frozen.find(origin);
                     return aggregator::InSubtree(origin, me) &&
                            (it == parent_frozen.end() || it->second > seq);
                   }));
  if (proofs.empty()) return absl::OkStatus();
  v1::ForkReport req;
  ASSIGN_OR_RETURN(*req.mutable_hello(), Hello());
  for (v1::ForkProof& p : proofs) *req.add_proofs() = std::move(p);
  v1::ForkReportReply reply;
  auto ctx = NewContext(options_.call_timeout_ms);
  grpc::Status gs = stub_->ReportForks(ctx.get(), req, &reply);
  if (!gs.ok()) return Annotate(gs, "report forks");
  if (reply.recorded() > 0) {
    spdlog::warn("reported {} fork proof(s) to {}", reply.recorded(), parent_);
  }
  return absl::OkStatus();
}

absl::Status SyncClient::RelayAttestations() {
  // Summary-only units below are held as their attestations alone; they go
  // up the same way, so every ancestor can answer for them. Looked for
  // again only when one has arrived since the last look.
  const uint64_t version = node_->store()->summary_only_version();
  if (relayed_version_ && *relayed_version_ == version) return absl::OkStatus();
  ASSIGN_OR_RETURN(auto latest, node_->store()->Attestations(node_->unit()));
  for (const auto& [origin, seq] : latest) {
    if (origin == node_->unit() || seq <= relayed_[origin]) continue;
    ASSIGN_OR_RETURN(std::optional<v1::Record> env, node_->store()->GetRecord(origin, seq));
    if (!env) continue;
    ASSIGN_OR_RETURN(record::DecodedRecord r, record::Decode(*env));
    if (!r.body.summary_attested().summary_only()) {
      relayed_[origin] = seq;  // a full uplink's: it goes up with the pushes
      continue;
    }
    v1::AttestRequest req;
    ASSIGN_OR_RETURN(*req.mutable_hello(), Hello());
    *req.mutable_record() = *env;
    v1::AttestReply reply;
    auto ctx = NewContext(options_.call_timeout_ms);
    grpc::Status gs = stub_->Attest(ctx.get(), req, &reply);
    if (!gs.ok()) return Annotate(gs, "relay attestation");
    relayed_[origin] = seq;
  }
  relayed_version_ = version;
  return absl::OkStatus();
}

absl::Status SyncClient::AttestOnce() {
  const int64_t now = node_->NowMillis();
  if (now - last_attest_ms_ >= std::max<int64_t>(options_.attest_interval_ms, 100)) {
    last_attest_ms_ = now;
    RETURN_IF_ERROR(node_->Attest("rectsyncd", /*summary_only=*/true).status());
  }
  ASSIGN_OR_RETURN(std::optional<v1::Record> latest, node_->LatestOwnAttestation());
  if (!latest) return absl::OkStatus();
  ASSIGN_OR_RETURN(record::DecodedRecord r, record::Decode(*latest));
  if (r.body.seq() <= attested_sent_seq_) return absl::OkStatus();
  v1::AttestRequest req;
  ASSIGN_OR_RETURN(*req.mutable_hello(), Hello());
  *req.mutable_record() = *latest;
  v1::AttestReply reply;
  auto ctx = NewContext(options_.call_timeout_ms);
  grpc::Status gs = stub_->Attest(ctx.get(), req, &reply);
  if (!gs.ok()) return Annotate(gs, "attest");
  attested_sent_seq_ = r.body.seq();
  node_->UpdateLink("parent", parent_, [&](v1::LinkStatus* l) {
    l->set_records_sent(l->records_sent() + 1);
  });
  return absl::OkStatus();
}

}  // namespace rectsync::sync
