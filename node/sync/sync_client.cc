// SyncClient (sync_client.h): creating a link, the two loops' timing and
// backoff, the link bookkeeping, hellos, fork reports and attestations. The
// push round is in sync_client_push.cc, the pull side in sync_client_pull.cc.
#include "node/sync/sync_client.h"

#include <algorithm>
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
