// Node's ingest of pushed chains (DESIGN §5, §7): a batch of one origin's
// consecutive records is decoded and, at the first hop, signature-checked
// off the write lock (in parallel for large batches); then, under the lock,
// duplicates and forks are sorted out, the chain is linked to the held head
// and the batch is stored in one WriteBatch, answered by a signed receipt.
#include <algorithm>
#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "aggregator/status_macros.h"
#include "aggregator/unit_id.h"
#include "node/daemon/node.h"

namespace rectsync::node {
namespace {

using aggregator::InSubtree;

// How long a child waits before sending again a batch this node could not
// store (a full disk: the store tries to resume once a second).
constexpr uint32_t kStoreRetryMs = 5000;

v1::PushReply Refusal(const std::string& origin, const absl::Status& s) {
  v1::PushReply reply;
  reply.set_origin(origin);
  reply.set_code(static_cast<int32_t>(s.code()));
  reply.set_error(std::string(s.message()));
  // Nothing wrong with the batch: this node cannot store now.
  if (s.code() == absl::StatusCode::kResourceExhausted || s.code() == absl::StatusCode::kUnavailable) {
    reply.set_retry_after_ms(kStoreRetryMs);
  }
  return reply;
}

// Decodes one pushed batch and checks its shape: one origin, consecutive
// seqs. Pure, so it runs off the write lock.
absl::StatusOr<std::vector<store::StoredRecord>> DecodeBatch(
    const google::protobuf::RepeatedPtrField<v1::Record>& records) {
  if (records.empty()) return absl::InvalidArgumentError("push batch holds no records");
  std::vector<store::StoredRecord> recs(records.size());
  for (int i = 0; i < records.size(); ++i) {
    auto decoded = record::Open(records[i]);
    if (!decoded.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("batch record ", i + 1, ": ", decoded.status().message()));
    }
    recs[i].envelope = records[i];
    recs[i].decoded = *std::move(decoded);
  }
  const std::string& origin = recs[0].decoded.body.origin();
  for (size_t i = 1; i < recs.size(); ++i) {
    const v1::RecordBody& b = recs[i].decoded.body;
    if (b.origin() != origin) {
      return absl::InvalidArgumentError(absl::StrCat(
          "batch record ", i + 1, ": origin \"", b.origin(), "\" differs from the batch's \"", origin,
          "\" (one origin per batch)"));
    }
    if (b.seq() != recs[i - 1].decoded.body.seq() + 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("batch record ", i + 1, ": seq ", b.seq(), " does not follow seq ",
                       recs[i - 1].decoded.body.seq(), " (batches are consecutive)"));
    }
  }
  return recs;
}

// Runs fn(0..n-1) on up to as many threads as the machine has cores; small
// jobs run inline.
void ParallelFor(size_t n, const std::function<void(size_t)>& fn) {
  constexpr size_t kPerThread = 32;
  const size_t threads =
      std::min<size_t>({std::max(1u, std::thread::hardware_concurrency()), 8, n / kPerThread});
  if (threads <= 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < n;) fn(i);
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> Node::VerifySigners(
    const std::vector<store::StoredRecord>& recs) const {
  const std::string& origin = recs[0].decoded.body.origin();
  std::vector<record::Enrolment> enrolments;
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    enrolments = trust_.EnrolmentsOf(origin);
  }
  // Records at or below the head are duplicates or forks, checked under
  // the lock; the head only grows, so every record past the head found
  // there is checked here.
  ASSIGN_OR_RETURN(store::Head head, store_->GetHead(origin));
  std::vector<std::string> signers(recs.size());
  ParallelFor(recs.size(), [&](size_t i) {
    if (recs[i].decoded.body.seq() <= head.seq) return;
    const record::Enrolment* e = record::FindSigner(enrolments, recs[i].envelope, recs[i].decoded);
    if (e != nullptr) signers[i] = e->public_key;
  });
  for (size_t i = 0; i < recs.size(); ++i) {
    if (recs[i].decoded.body.seq() > head.seq && signers[i].empty()) {
      bool enrolled_then = false;
      const int64_t ms = record::HlcMillis(recs[i].decoded.body.hlc());
      for (const record::Enrolment& e : enrolments) enrolled_then = enrolled_then || record::ValidAt(e, ms);
      if (!enrolled_then) {
        return absl::PermissionDeniedError(absl::StrCat(
            "record ", record::Describe(recs[i].decoded.body), ": no enrolment of \"", origin,
            "\" is valid at its time"));
      }
      return absl::UnauthenticatedError(absl::StrCat(
          "record ", record::Describe(recs[i].decoded.body),
          ": signature does not verify under the key enrolled for \"", origin,
          "\" at its time; nothing of the batch is stored"));
    }
  }
  return signers;
}

v1::PushReply Node::IngestPush(const std::string& pusher, const v1::PushBatch& batch) {
  bool forked = false;
  std::string origin;
  absl::StatusOr<v1::PushReply> reply = [&]() -> absl::StatusOr<v1::PushReply> {
    ASSIGN_OR_RETURN(std::vector<store::StoredRecord> recs, DecodeBatch(batch.records()));
    origin = recs[0].decoded.body.origin();
    if (!InSubtree(origin, pusher)) {
      return absl::PermissionDeniedError(absl::StrCat(
          "origin \"", origin, "\" lies outside the subtree of the pushing unit \"", pusher, "\""));
    }
    // A node that cannot store now says so before verifying anything.
    RETURN_IF_ERROR(store_->ReadyToWrite());
    const Hop hop = origin == pusher ? Hop::kFirst : Hop::kRelay;
    std::vector<std::string> signers;
    if (hop == Hop::kFirst) {
      ASSIGN_OR_RETURN(signers, VerifySigners(recs));
    }
    std::lock_guard<std::mutex> lock(write_mu_);
    return IngestChainLocked(pusher, std::move(recs), hop, signers, &forked);
  }();
  v1::PushReply out = reply.ok() ? *std::move(reply) : Refusal(origin, reply.status());
  const int64_t now = clock_.wall()->NowMillis();
  UpdateLink("child", pusher, [&](v1::LinkStatus* l) {
    l->set_last_contact_ms(now);
    l->set_records_received(l->records_received() + out.stored());
    if (out.retry_after_ms() > 0) {
      l->set_last_error(out.error());
    } else if (out.code() != 0) {
      l->set_refusals(l->refusals() + 1);
      l->set_last_refusal(out.error());
    } else {
      l->set_last_success_ms(now);
    }
  });
  if (out.stored() > 0 || forked) NotifyChange();
  return out;
}

absl::StatusOr<v1::PushReply> Node::IngestChainLocked(const std::string& pusher,
                                                      std::vector<store::StoredRecord> recs,
                                                      Hop hop,
                                                      const std::vector<std::string>& signers,
                                                      bool* forked) {
  const std::string origin = recs[0].decoded.body.origin();
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
    *forked = true;
    return absl::FailedPreconditionError(absl::StrCat(
        "fork: ", record::Describe(r.decoded.body), " conflicts with the record held at that seq; ",
        "both are kept as proof and \"", origin, "\" is frozen"));
  }
  const int64_t now = clock_.wall()->NowMillis();
  std::vector<store::StoredRecord> fresh(std::make_move_iterator(recs.begin() + first_new),
                                         std::make_move_iterator(recs.end()));
  if (!fresh.empty()) {
    // Chain continuity from the held head, and every record within a valid
    // enrolment of its origin. Then the signatures: at the first hop each
    // was checked (VerifySigners) and its enrolment must not be past its
    // expiry plus the grace, by this node's clock; otherwise the last
    // record's signature covers, through the prev hashes (each id commits
    // to body and signature), the exact bytes of every record before it.
    uint64_t seq = head.seq;
    std::string id = head.id;
    uint64_t hlc = head.hlc;
    const std::vector<record::Enrolment> enrolments =
        hop == Hop::kFirst ? trust_.EnrolmentsOf(origin) : std::vector<record::Enrolment>{};
    for (size_t i = 0; i < fresh.size(); ++i) {
      const store::StoredRecord& r = fresh[i];
      RETURN_IF_ERROR(record::CheckLink(r.decoded, seq, id));
      if (seq > 0) RETURN_IF_ERROR(record::CheckStampRises(r.decoded, hlc));
      RETURN_IF_ERROR(trust_.CheckEnrolled(r.decoded));
      if (hop == Hop::kFirst) {
        const std::string& key = signers[first_new + i];
        const record::Enrolment* signer = nullptr;
        for (const record::Enrolment& e : enrolments) {
          if (e.public_key == key && record::ValidAt(e, record::HlcMillis(r.decoded.body.hlc()))) {
            signer = &e;
          }
        }
        if (key.empty() || signer == nullptr) {
          RETURN_IF_ERROR(trust_.CheckSignature(r.envelope, r.decoded));
        } else if (absl::Status s =
                       record::CheckNotExpired(*signer, now, options_.enrolment_grace_ms);
                   !s.ok()) {
          return absl::FailedPreconditionError(absl::StrCat(
              "record ", record::Describe(r.decoded.body), ": ", s.message()));
        }
      }
      seq = r.decoded.body.seq();
      id = r.decoded.id;
      hlc = r.decoded.body.hlc();
    }
    if (hop != Hop::kFirst) {
      RETURN_IF_ERROR(trust_.CheckSignature(fresh.back().envelope, fresh.back().decoded));
    }
    store::Store::AppendExtras extras;
    for (const store::StoredRecord& r : fresh) ObserveReceived(r.decoded, &extras);
    RETURN_IF_ERROR(store_->Append(fresh, nullptr, extras));
    // Enrolments take effect once stored. One that breaks a trust rule stays
    // in the log as evidence and grants nothing (DESIGN §4).
    for (const store::StoredRecord& r : fresh) {
      if (record::IsTrustRecord(r.decoded.body)) trust_.Admit(r.envelope, r.decoded).IgnoreError();
    }
    reply.set_stored(static_cast<uint32_t>(fresh.size()));
    head = store::Head{fresh.back().decoded.body.seq(), fresh.back().decoded.id,
                       fresh.back().decoded.body.hlc()};
  }
  (void)pusher;
  *reply.mutable_receipt() = SignReceipt(origin, head, now);
  return reply;
}

absl::Status Node::IngestRestored(const v1::PullBatch& batch) {
  if (!InSubtree(batch.origin(), unit_)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "restored batch names origin \"", batch.origin(), "\" outside this node's subtree"));
  }
  // The parent's copy was checked where it entered the hierarchy; here its
  // chain is checked, as for a relayed push.
  ASSIGN_OR_RETURN(std::vector<store::StoredRecord> recs, DecodeBatch(batch.records()));
  absl::StatusOr<v1::PushReply> reply;
  bool forked = false;
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    reply = IngestChainLocked(unit_, std::move(recs), Hop::kRestore, {}, &forked);
  }
  if (forked || (reply.ok() && reply->stored() > 0)) NotifyChange();
  return reply.status();
}

}  // namespace rectsync::node
