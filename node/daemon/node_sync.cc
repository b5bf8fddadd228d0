// Node's sync side (DESIGN §5, §7): hellos, handshake frontiers, verified
// ingest of pushed and pulled records, pull collection, receipts, link
// bookkeeping. The gRPC adapters live in node/sync/.
#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "aggregator/fold.h"
#include "aggregator/status_macros.h"
#include "aggregator/unit_id.h"
#include "node/daemon/node.h"

namespace rectsync::node {
namespace {

using aggregator::InSubtree;
using aggregator::StrictlyBelow;

constexpr size_t kDefaultPullRecords = 2000;

std::string HelloMessage(const v1::Hello& h) {
  return absl::StrCat(absl::string_view("rectsync.hello.v1\0", 18), h.unit(),
                      absl::string_view("\0", 1), h.parent(), absl::string_view("\0", 1),
                      store::EncodeU64(static_cast<uint64_t>(h.time_ms())));
}

std::string ReceiptMessage(absl::string_view body) {
  return absl::StrCat(absl::string_view("rectsync.receipt.v1\0", 20), body);
}

std::string PullCursorKey(const std::string& origin) { return absl::StrCat("pull/", origin); }
std::string LinkKey(const std::string& direction, const std::string& peer) {
  return absl::StrCat("link/", direction, "/", peer);
}

v1::PushReply Refusal(const std::string& origin, const absl::Status& s) {
  v1::PushReply reply;
  reply.set_origin(origin);
  reply.set_code(static_cast<int32_t>(s.code()));
  reply.set_error(std::string(s.message()));
  return reply;
}

}  // namespace

// Does `body` (from an origin outside `subtree`) concern `subtree`?
absl::StatusOr<bool> RecordConcerns(const store::Store& store, const v1::RecordBody& body,
                              const std::string& subtree) {
  auto related = [&](const std::string& unit) {
    return InSubtree(unit, subtree) || InSubtree(subtree, unit);
  };
  switch (body.event_case()) {
    case v1::RecordBody::kUnitEnrolled: return related(body.unit_enrolled().unit());
    case v1::RecordBody::kInspectionOpened: return related(body.inspection_opened().inspected_unit());
    case v1::RecordBody::kFiguresReported:
      return InSubtree(body.figures_reported().unit(), subtree);
    case v1::RecordBody::kProblemRaised: return InSubtree(body.problem_raised().unit(), subtree);
    default: break;
  }
  const std::string& pid = aggregator::ProblemOf(body);
  if (pid.empty()) return false;
  if (body.has_problem_amended() && body.problem_amended().has_unit() &&
      InSubtree(body.problem_amended().unit(), subtree)) {
    return true;
  }
  ASSIGN_OR_RETURN(std::optional<v1::ProblemState> state, store.GetProblem(pid));
  return state && state->raised() && InSubtree(state->unit(), subtree);
}

v1::Hello Node::MakeHello(const std::string& parent) const {
  v1::Hello h;
  h.set_unit(unit_);
  h.set_parent(parent);
  h.set_time_ms(clock_.wall()->NowMillis());
  h.set_signature(key_->Sign(HelloMessage(h)));
  h.set_advertise(options_.advertise.empty() ? options_.listen : options_.advertise);
  return h;
}

absl::Status Node::CheckHello(const v1::Hello& h) {
  RETURN_IF_ERROR(CheckCaller(h));
  if (!StrictlyBelow(h.unit(), unit_)) {
    return absl::PermissionDeniedError(
        absl::StrCat("\"", h.unit(), "\" is not below \"", unit_, "\": it may not sync here"));
  }
  return absl::OkStatus();
}

absl::Status Node::CheckCaller(const v1::Hello& h) {
  RETURN_IF_ERROR(aggregator::ValidateUnitId(h.unit(), "hello.unit"));
  if (h.parent() != unit_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "hello is addressed to \"", h.parent(), "\" but this node is \"", unit_, "\""));
  }
  const int64_t now = clock_.wall()->NowMillis();
  if (std::abs(now - h.time_ms()) > options_.max_clock_skew_ms) {
    return absl::UnauthenticatedError(absl::StrCat(
        "hello from \"", h.unit(), "\" is stamped ", (h.time_ms() - now) / 1000,
        " s away from this node's clock (bound ", options_.max_clock_skew_ms / 1000, " s)"));
  }
  std::lock_guard<std::mutex> lock(write_mu_);
  const record::Enrolment* e = trust_.Find(h.unit());
  if (e == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat("\"", h.unit(), "\" is not enrolled at \"", unit_, "\""));
  }
  if (!record::VerifySignature(e->public_key, HelloMessage(h), h.signature())) {
    return absl::UnauthenticatedError(
        absl::StrCat("hello signature does not verify under the enrolled key of \"", h.unit(), "\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::HandshakeReply> Node::Handshake(const std::string& child) {
  v1::HandshakeReply reply;
  reply.set_parent(unit_);
  reply.set_time_ms(clock_.wall()->NowMillis());
  ASSIGN_OR_RETURN(auto heads, store_->HeadsUnder(child));
  for (const auto& [origin, head] : heads) {
    v1::FrontierEntry* f = reply.add_frontier();
    f->set_origin(origin);
    f->set_seq(head.seq);
    f->set_head(head.id);
  }
  ASSIGN_OR_RETURN(std::vector<store::Store::Fork> forks, store_->Forks());
  for (const store::Store::Fork& f : forks) {
    if (!InSubtree(f.origin, child)) continue;
    v1::FrontierEntry* e = reply.add_frozen();
    e->set_origin(f.origin);
    e->set_seq(f.seq);
    e->set_head(f.other_id);
  }
  UpdateLink("child", child, [&](v1::LinkStatus* l) { l->set_last_contact_ms(reply.time_ms()); });
  return reply;
}

void Node::NoteAdvertised(const v1::Hello& hello) {
  if (hello.advertise().empty()) return;
  UpdateLink("child", hello.unit(), [&](v1::LinkStatus* l) { l->set_address(hello.advertise()); });
}

void Node::ObserveReceived(const record::DecodedRecord& r, store::Store::AppendExtras* extras) {
  if (!clock_.Observe(r.body.hlc())) {
    extras->index_puts.emplace_back(
        absl::StrCat("k/", store::RecordKey(r.body.origin(), r.body.seq())), "");
  }
}

v1::PushReply Node::IngestPush(const std::string& pusher, const v1::PushBatch& batch) {
  absl::StatusOr<v1::PushReply> reply;
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    reply = IngestPushLocked(pusher, batch);
  }
  std::string origin;
  if (batch.records_size() > 0) {
    auto first = record::Open(batch.records(0));
    if (first.ok()) origin = first->body.origin();
  }
  v1::PushReply out = reply.ok() ? *std::move(reply) : Refusal(origin, reply.status());
  const int64_t now = clock_.wall()->NowMillis();
  UpdateLink("child", pusher, [&](v1::LinkStatus* l) {
    l->set_last_contact_ms(now);
    l->set_records_received(l->records_received() + out.stored());
    if (out.code() != 0) {
      l->set_refusals(l->refusals() + 1);
      l->set_last_refusal(out.error());
    } else {
      l->set_last_success_ms(now);
    }
  });
  if (out.stored() > 0) NotifyChange();
  return out;
}

absl::StatusOr<v1::PushReply> Node::IngestPushLocked(const std::string& pusher,
                                                     const v1::PushBatch& batch) {
  if (batch.records().empty()) return absl::InvalidArgumentError("push batch holds no records");
  std::vector<store::StoredRecord> recs(batch.records_size());
  for (int i = 0; i < batch.records_size(); ++i) {
    auto decoded = record::Open(batch.records(i));
    if (!decoded.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("batch record ", i + 1, ": ", decoded.status().message()));
    }
    recs[i].envelope = batch.records(i);
    recs[i].decoded = *std::move(decoded);
  }
  const std::string origin = recs[0].decoded.body.origin();
  for (size_t i = 0; i < recs.size(); ++i) {
    const v1::RecordBody& b = recs[i].decoded.body;
    if (b.origin() != origin) {
      return absl::InvalidArgumentError(absl::StrCat(
          "batch record ", i + 1, ": origin \"", b.origin(), "\" differs from the batch's \"", origin,
          "\" (one origin per batch)"));
    }
    if (i > 0 && b.seq() != recs[i - 1].decoded.body.seq() + 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("batch record ", i + 1, ": seq ", b.seq(), " does not follow seq ",
                       recs[i - 1].decoded.body.seq(), " (batches are consecutive)"));
    }
  }
  if (!InSubtree(origin, pusher)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "origin \"", origin, "\" lies outside the subtree of the pushing unit \"", pusher, "\""));
  }
  ASSIGN_OR_RETURN(uint64_t frozen, store_->FrozenAt(origin));
  if (frozen > 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "origin \"", origin, "\" is frozen by a fork at seq ", frozen, "; nothing more is accepted"));
  }

  v1::PushReply reply;
  reply.set_origin(origin);
  ASSIGN_OR_RETURN(store::Head head, store_->GetHead(origin));
  size_t first_new = 0;
  for (; first_new < recs.size() && recs[first_new].decoded.body.seq() <= head.seq; ++first_new) {
    const store::StoredRecord& r = recs[first_new];
    ASSIGN_OR_RETURN(std::optional<v1::Record> held, store_->GetRecord(origin, r.decoded.body.seq()));
    if (held && record::RecordId(*held) == r.decoded.id) {
      reply.set_duplicates(reply.duplicates() + 1);
      continue;
    }
    // Same (origin, seq), different record: a fork if the origin signed it.
    RETURN_IF_ERROR(trust_.CheckSignature(r.envelope, r.decoded));
    RETURN_IF_ERROR(store_->RecordFork(r.envelope, r.decoded));
    return absl::FailedPreconditionError(absl::StrCat(
        "fork: ", record::Describe(r.decoded.body), " conflicts with the record held at that seq; ",
        "both are kept as proof and \"", origin, "\" is frozen"));
  }
  std::vector<store::StoredRecord> fresh(std::make_move_iterator(recs.begin() + first_new),
                                         std::make_move_iterator(recs.end()));
  if (!fresh.empty()) {
    // Chain continuity from the held head, then the amortised signature
    // check: every record must fall in a valid enrolment of its origin, and
    // the last record's signature covers, through the prev hashes, the exact
    // bytes of every record before it.
    uint64_t seq = head.seq;
    std::string id = head.id;
    for (const store::StoredRecord& r : fresh) {
      RETURN_IF_ERROR(record::CheckLink(r.decoded, seq, id));
      RETURN_IF_ERROR(trust_.CheckEnrolled(r.decoded));
      seq = r.decoded.body.seq();
      id = r.decoded.id;
    }
    RETURN_IF_ERROR(trust_.CheckSignature(fresh.back().envelope, fresh.back().decoded));
    store::Store::AppendExtras extras;
    for (const store::StoredRecord& r : fresh) ObserveReceived(r.decoded, &extras);
    RETURN_IF_ERROR(store_->Append(fresh, nullptr, extras));
    // Enrolments take effect once stored. One that breaks a trust rule stays
    // in the log as evidence and grants nothing (DESIGN §4).
    for (const store::StoredRecord& r : fresh) {
      if (r.decoded.body.has_unit_enrolled()) trust_.Admit(r.envelope, r.decoded).IgnoreError();
    }
    reply.set_stored(static_cast<uint32_t>(fresh.size()));
    head = store::Head{fresh.back().decoded.body.seq(), fresh.back().decoded.id,
                       fresh.back().decoded.body.hlc()};
  }
  v1::Receipt receipt;
  receipt.set_parent(unit_);
  receipt.set_origin(origin);
  receipt.set_seq(head.seq);
  receipt.set_head(head.id);
  receipt.set_time_ms(clock_.wall()->NowMillis());
  *reply.mutable_receipt() = SignReceipt(receipt);
  return reply;
}

v1::SignedReceipt Node::SignReceipt(const v1::Receipt& receipt) const {
  v1::SignedReceipt out;
  out.set_body(receipt.SerializeAsString());
  out.set_signature(key_->Sign(ReceiptMessage(out.body())));
  return out;
}

absl::StatusOr<v1::Receipt> Node::CheckReceipt(const std::string& parent,
                                               const v1::SignedReceipt& sr) {
  std::string key;
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    const record::Enrolment* e = trust_.Find(parent);
    if (e == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("parent \"", parent, "\" is not enrolled in this node's trust chain"));
    }
    key = e->public_key;
  }
  if (!record::VerifySignature(key, ReceiptMessage(sr.body()), sr.signature())) {
    return absl::UnauthenticatedError(
        absl::StrCat("receipt signature does not verify under the key of \"", parent, "\""));
  }
  v1::Receipt r;
  if (!r.ParseFromString(sr.body())) return absl::InvalidArgumentError("receipt body does not parse");
  if (r.parent() != parent) {
    return absl::InvalidArgumentError(
        absl::StrCat("receipt names parent \"", r.parent(), "\", expected \"", parent, "\""));
  }
  return r;
}

absl::StatusOr<std::vector<v1::PullBatch>> Node::CollectPull(
    const std::string& child, const v1::PullRequest& req, const std::function<bool()>& cancelled) {
  std::map<std::string, uint64_t> cursor;
  for (const v1::FrontierEntry& e : req.cursor()) cursor[e.origin()] = e.seq();
  const size_t limit = req.max_records() > 0 ? req.max_records() : kDefaultPullRecords;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(req.wait_ms());
  std::vector<v1::PullBatch> out;
  while (true) {
    const uint64_t seen = changes();
    size_t total = 0;
    out.clear();
    // Only this node's ancestors and itself write records that concern a
    // child from outside its subtree (a sibling's would be authority
    // violations). Root first, so enrolments arrive before what they sign.
    std::vector<std::string> origins = aggregator::SelfAndAncestors(unit_);
    std::reverse(origins.begin(), origins.end());
    for (const std::string& origin : origins) {
      if (total >= limit) break;
      uint64_t scanned_to = 0;
      if (origin == unit_) {
        ASSIGN_OR_RETURN(store::Head h, store_->GetHead(origin));
        scanned_to = h.seq;
      } else {
        ASSIGN_OR_RETURN(std::optional<std::string> c, store_->GetPeer(PullCursorKey(origin)));
        if (c) scanned_to = store::DecodeU64(*c);
      }
      const uint64_t from = cursor[origin] + 1;
      if (from > scanned_to) continue;
      v1::PullBatch batch;
      batch.set_origin(origin);
      absl::Status inner;
      RETURN_IF_ERROR(store_->ScanOrigin(origin, from, [&](uint64_t seq, const v1::Record& env) {
        if (seq > scanned_to) return false;
        auto r = record::Open(env);
        if (!r.ok()) {
          inner = absl::DataLossError(absl::StrCat("stored ", origin, "#", seq, ": ", r.status().message()));
          return false;
        }
        auto concerns = RecordConcerns(*store_, r->body, child);
        if (!concerns.ok()) {
          inner = concerns.status();
          return false;
        }
        if (*concerns) {
          *batch.add_records() = env;
          if (++total >= limit) {
            scanned_to = seq;
            return false;
          }
        }
        return true;
      }));
      RETURN_IF_ERROR(inner);
      batch.set_scanned_to(scanned_to);
      out.push_back(std::move(batch));
    }
    // Long poll: wait for news in short slices, watching for cancellation.
    bool changed = false;
    while (!changed && std::chrono::steady_clock::now() < deadline &&
           !(cancelled && cancelled())) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      changed = WaitForChange(seen, std::min(left, std::chrono::milliseconds(100))) != seen;
    }
    if (total > 0 || !changed) break;
  }
  UpdateLink("child", child, [&](v1::LinkStatus* l) {
    l->set_last_contact_ms(clock_.wall()->NowMillis());
  });
  return out;
}

absl::Status Node::IngestPull(const std::string& parent, const v1::PullBatch& batch) {
  size_t stored = 0;
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    if (InSubtree(batch.origin(), unit_)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "pulled batch names origin \"", batch.origin(), "\" inside this node's own subtree"));
    }
    std::vector<store::StoredRecord> recs;
    store::Store::AppendExtras extras;
    extras.sparse = true;
    uint64_t last_seq = 0;
    for (int i = 0; i < batch.records_size(); ++i) {
      const v1::Record& env = batch.records(i);
      auto r = record::Open(env);
      if (!r.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("pulled record ", i + 1, ": ", r.status().message()));
      }
      if (r->body.origin() != batch.origin() || r->body.seq() <= last_seq ||
          r->body.seq() > batch.scanned_to()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "pulled record ", i + 1, " (", record::Describe(r->body),
            ") is out of place in the batch of \"", batch.origin(), "\""));
      }
      last_seq = r->body.seq();
      // Sparse records have no chain here: each is checked on its own.
      // An enrolment signed by a trusted ancestor is admitted at once, so
      // that later records of the batch signed by the enrolled key verify.
      RETURN_IF_ERROR(trust_.CheckSignature(env, *r));
      if (r->body.has_unit_enrolled()) trust_.Admit(env, *r).IgnoreError();
      ObserveReceived(*r, &extras);
      recs.push_back({env, *std::move(r)});
    }
    ASSIGN_OR_RETURN(std::optional<std::string> prior, store_->GetPeer(PullCursorKey(batch.origin())));
    if (prior && store::DecodeU64(*prior) > batch.scanned_to()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "parent moved the pull cursor of \"", batch.origin(), "\" backwards"));
    }
    extras.peer_puts.emplace_back(PullCursorKey(batch.origin()), store::EncodeU64(batch.scanned_to()));
    absl::Status s = store_->Append(recs, nullptr, extras);
    if (!s.ok()) {
      // A pulled record conflicting with one held: keep it as proof.
      for (const store::StoredRecord& r : recs) {
        auto held = store_->GetRecord(r.decoded.body.origin(), r.decoded.body.seq());
        if (held.ok() && *held && record::RecordId(**held) != r.decoded.id) {
          store_->RecordFork(r.envelope, r.decoded).IgnoreError();
        }
      }
      return s;
    }
    stored = recs.size();
  }
  const int64_t now = clock_.wall()->NowMillis();
  UpdateLink("parent", parent, [&](v1::LinkStatus* l) {
    l->set_records_received(l->records_received() + stored);
    l->set_last_contact_ms(now);
  });
  if (stored > 0 || batch.scanned_to() > 0) NotifyChange();
  return absl::OkStatus();
}

absl::Status Node::IngestRestored(const v1::PullBatch& batch) {
  if (!InSubtree(batch.origin(), unit_)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "restored batch names origin \"", batch.origin(), "\" outside this node's subtree"));
  }
  v1::PushBatch push;
  *push.mutable_records() = batch.records();
  absl::StatusOr<v1::PushReply> reply;
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    reply = IngestPushLocked(unit_, push);
  }
  RETURN_IF_ERROR(reply.status());
  if (reply->stored() > 0) NotifyChange();
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::FrontierEntry>> Node::PullCursor() const {
  std::vector<v1::FrontierEntry> out;
  RETURN_IF_ERROR(store_->ScanPeers("pull/", [&](const std::string& k, const std::string& v) {
    v1::FrontierEntry e;
    e.set_origin(k.substr(5));
    e.set_seq(store::DecodeU64(v));
    out.push_back(std::move(e));
  }));
  return out;
}

void Node::UpdateLink(const std::string& direction, const std::string& peer,
                      const std::function<void(v1::LinkStatus*)>& update) {
  std::lock_guard<std::mutex> lock(link_mu_);
  const std::string key = LinkKey(direction, peer);
  v1::LinkStatus link;
  auto held = store_->GetPeer(key);
  if (held.ok() && *held) link.ParseFromString(**held);
  link.set_direction(direction);
  link.set_peer(peer);
  update(&link);
  // Bookkeeping only: a lost update costs a stale status line, not data.
  store_->PutPeer(key, link.SerializeAsString(), /*durable=*/false).IgnoreError();
}

absl::StatusOr<v1::SyncStatusReply> Node::SyncStatus() const {
  v1::SyncStatusReply reply;
  reply.set_unit(unit_);
  reply.set_now_ms(clock_.wall()->NowMillis());
  std::vector<v1::LinkStatus> links;
  RETURN_IF_ERROR(store_->ScanPeers("link/", [&](const std::string&, const std::string& v) {
    v1::LinkStatus l;
    if (l.ParseFromString(v)) links.push_back(std::move(l));
  }));
  for (v1::LinkStatus& l : links) {
    if (l.direction() == "parent") {
      // Pending: what the parent has not receipted yet, and how old it is.
      ASSIGN_OR_RETURN(auto heads, store_->HeadsUnder(unit_));
      int64_t oldest = 0;
      for (const auto& [origin, head] : heads) {
        uint64_t acked = 0;
        ASSIGN_OR_RETURN(std::optional<std::string> rb,
                         store_->GetPeer(absl::StrCat("receipt/", l.peer(), "/", origin)));
        v1::SignedReceipt sr;
        v1::Receipt r;
        if (rb && sr.ParseFromString(*rb) && r.ParseFromString(sr.body())) acked = r.seq();
        if (head.seq <= acked) continue;
        l.set_pending(l.pending() + head.seq - acked);
        ASSIGN_OR_RETURN(std::optional<v1::Record> env, store_->GetRecord(origin, acked + 1));
        if (env) {
          auto d = record::Open(*env);
          if (d.ok()) {
            int64_t ms = record::HlcMillis(d->body.hlc());
            if (oldest == 0 || ms < oldest) oldest = ms;
          }
        }
      }
      if (oldest > 0) l.set_lag_ms(std::max<int64_t>(0, reply.now_ms() - oldest));
    }
    *reply.add_links() = std::move(l);
  }
  ASSIGN_OR_RETURN(std::vector<store::Store::Fork> forks, store_->Forks());
  for (const store::Store::Fork& f : forks) {
    v1::ForkInfo* fi = reply.add_forks();
    fi->set_origin(f.origin);
    fi->set_seq(f.seq);
    fi->set_other_id(f.other_id);
    ASSIGN_OR_RETURN(std::optional<v1::Record> held, store_->GetRecord(f.origin, f.seq));
    if (held) fi->set_held_id(record::RecordId(*held));
  }
  ASSIGN_OR_RETURN(uint64_t skewed, store_->CountIndex("k/"));
  reply.set_skewed_records(skewed);
  return reply;
}

uint64_t Node::changes() const {
  std::lock_guard<std::mutex> lock(change_mu_);
  return changes_;
}

uint64_t Node::WaitForChange(uint64_t seen, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(change_mu_);
  change_cv_.wait_for(lock, timeout, [&] { return changes_ != seen; });
  return changes_;
}

void Node::NotifyChange() {
  {
    std::lock_guard<std::mutex> lock(change_mu_);
    ++changes_;
  }
  change_cv_.notify_all();
}

}  // namespace rectsync::node
