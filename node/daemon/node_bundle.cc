// Node's offline bundles (bundle.proto): a push and a pull written to a file
// for a unit with no network. Nothing here checks a record in a way of its
// own: an upward bundle's batches go through IngestPush, a downward one's
// records through IngestPull and its receipts through CheckReceipt, so a
// record that arrived by stick is the same as one that arrived by wire and
// neither way duplicates the other. What is added is the file's frame: a
// header and length (truncation), and the writer's signature over the whole
// body (tampering, damage), both checked before anything is stored.
#include <sodium.h>

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "aggregator/status_macros.h"
#include "aggregator/unit_id.h"
#include "node/daemon/node.h"
#include "node/record/keys.h"

namespace rectsync::node {
namespace {

using aggregator::InSubtree;
using aggregator::StrictlyBelow;

constexpr absl::string_view kMagic("RECTSYNC BUNDLE v1\n", 19);
constexpr size_t kHeaderSize = kMagic.size() + 8;

std::string BundleMessage(absl::string_view body) {
  return absl::StrCat(absl::string_view("rectsync.bundle.v1\0", 19), body);
}

std::string ReceiptKey(const std::string& parent, const std::string& origin) {
  return absl::StrCat("receipt/", parent, "/", origin);
}
// The pull cursor and known forks a child's last upward bundle carried.
std::string BundleCursorKey(const std::string& child) { return absl::StrCat("bundle/", child); }

// The seq a held receipt from `parent` covers for `origin` (0: none).
absl::StatusOr<uint64_t> ReceiptedSeq(const store::Store& store, const std::string& parent,
                                      const std::string& origin) {
  ASSIGN_OR_RETURN(std::optional<std::string> held, store.GetPeer(ReceiptKey(parent, origin)));
  v1::SignedReceipt sr;
  v1::Receipt r;
  if (held && sr.ParseFromString(*held) && r.ParseFromString(sr.body())) return r.seq();
  return 0;
}

// "origin#seq" of a stored record's envelope (its body parsed, not checked).
std::string Position(const v1::Record& r) {
  v1::RecordBody body;
  return body.ParseFromString(r.body()) ? absl::StrCat(body.origin(), "#", body.seq()) : std::string("?");
}
std::string OriginOf(const v1::PushBatch& b) {
  v1::RecordBody body;
  return b.records_size() > 0 && body.ParseFromString(b.records(0).body()) ? body.origin() : std::string();
}
std::string Range(const v1::PushBatch& b) {
  if (b.records_size() == 0) return "an empty batch";
  if (b.records_size() == 1) return Position(b.records(0));
  return absl::StrCat(Position(b.records(0)), "..", Position(b.records(b.records_size() - 1)));
}

v1::BundleInfo Describe(const v1::BundleBody& body) {
  v1::BundleInfo info;
  info.set_from(body.from());
  info.set_to(body.to());
  info.set_created_ms(body.created_ms());
  std::set<std::string> origins;
  uint64_t records = 0;
  for (const v1::PushBatch& b : body.batches()) {
    records += b.records_size();
    if (b.records_size() > 0) origins.insert(OriginOf(b));
  }
  for (const v1::PullBatch& b : body.pulled()) {
    records += b.records_size();
    if (b.records_size() > 0) origins.insert(b.origin());
  }
  uint32_t receipts = 0;
  for (const v1::PushReply& r : body.replies()) receipts += r.has_receipt() ? 1 : 0;
  info.set_records(records);
  info.set_origins(static_cast<uint32_t>(origins.size()));
  info.set_receipts(receipts);
  info.set_fork_proofs(static_cast<uint32_t>(body.fork_proofs_size()));
  for (const v1::PullBatch& b : body.pulled()) info.set_fork_proofs(info.fork_proofs() + b.forks_size());
  return info;
}

}  // namespace

std::string Node::ParentUnit() const {
  return options_.parent_unit.empty() ? aggregator::ParentUnit(unit_) : options_.parent_unit;
}

absl::StatusOr<v1::ExportBundleReply> Node::ExportBundle(const v1::ExportBundleRequest& request) {
  if (request.for_unit().empty()) {
    ASSIGN_OR_RETURN(v1::BundleBody body, BundleUp(request.all()));
    return SealBundle(body);
  }
  RETURN_IF_ERROR(aggregator::ValidateUnitId(request.for_unit(), "for_unit"));
  if (!StrictlyBelow(request.for_unit(), unit_)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "for_unit \"", request.for_unit(), "\" is not below this node (\"", unit_,
        "\"); a bundle goes down only to a unit of this subtree"));
  }
  if (request.all()) return absl::InvalidArgumentError("all: applies to an upward bundle only");
  // The cursor the unit's last upward bundle carried (none: from the start).
  v1::PullRequest cursor;
  ASSIGN_OR_RETURN(std::optional<std::string> held, store_->GetPeer(BundleCursorKey(request.for_unit())));
  if (held && !cursor.ParseFromString(*held)) {
    return absl::DataLossError(absl::StrCat("stored bundle cursor of \"", request.for_unit(), "\" does not parse"));
  }
  ASSIGN_OR_RETURN(v1::BundleBody body, BundleDown(request.for_unit(), std::move(cursor)));
  return SealBundle(body);
}

absl::StatusOr<v1::BundleBody> Node::BundleUp(bool all) {
  const std::string parent = ParentUnit();
  if (parent.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("\"", unit_, "\" is the root: it has no parent to carry a bundle to"));
  }
  v1::BundleBody body;
  body.set_from(unit_);
  body.set_to(parent);
  // Origins in HeadsUnder's order, so that an enroller's records precede
  // those of the units it enrols (as a push sends them).
  ASSIGN_OR_RETURN(auto heads, store_->HeadsUnder(unit_));
  for (const auto& [origin, head] : heads) {
    ASSIGN_OR_RETURN(uint64_t frozen, store_->FrozenAt(origin));
    if (frozen > 0) continue;  // refused above; its fork proof goes instead
    uint64_t from = 1;
    if (!all) {
      ASSIGN_OR_RETURN(uint64_t acked, ReceiptedSeq(*store_, parent, origin));
      from = acked + 1;
    }
    const uint64_t last = head.seq;  // a structured binding cannot be captured before C++20
    if (from > last) continue;
    v1::PushBatch* batch = nullptr;
    RETURN_IF_ERROR(store_->ScanOrigin(origin, from, [&](uint64_t seq, const v1::Record& r) {
      if (seq > last) return false;
      if (batch == nullptr || batch->records_size() >= options_.batch_records) batch = body.add_batches();
      *batch->add_records() = r;
      return true;
    }));
  }
  ASSIGN_OR_RETURN(std::vector<v1::ForkProof> proofs,
                   ForkProofs([&](const std::string& origin, uint64_t) { return InSubtree(origin, unit_); }));
  for (v1::ForkProof& p : proofs) *body.add_fork_proofs() = std::move(p);
  ASSIGN_OR_RETURN(std::vector<v1::FrontierEntry> cursor, PullCursor());
  for (v1::FrontierEntry& e : cursor) *body.add_pull_cursor() = std::move(e);
  ASSIGN_OR_RETURN(std::vector<v1::FrontierEntry> forks, KnownForks());
  for (v1::FrontierEntry& e : forks) *body.add_known_forks() = std::move(e);
  const int64_t now = clock_.wall()->NowMillis();
  UpdateLink("parent", parent, [&](v1::LinkStatus* l) { l->set_last_bundle_ms(now); });
  return body;
}

absl::StatusOr<v1::BundleBody> Node::BundleDown(const std::string& child, v1::PullRequest cursor) {
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    if (trust_.Find(child) == nullptr) {
      return absl::NotFoundError(absl::StrCat("unit \"", child, "\" is not enrolled in this node's trust chain"));
    }
  }
  v1::BundleBody body;
  body.set_from(unit_);
  body.set_to(child);
  // A receipt at the held head of every origin of the child's subtree: it
  // covers whatever reached this node by either way.
  const int64_t now = clock_.wall()->NowMillis();
  ASSIGN_OR_RETURN(auto heads, store_->HeadsUnder(child));
  for (const auto& [origin, head] : heads) {
    v1::PushReply* reply = body.add_replies();
    reply->set_origin(origin);
    *reply->mutable_receipt() = SignReceipt(origin, head, now);
  }
  // What a pull would stream, after the child's cursor, until nothing is left.
  cursor.set_wait_ms(0);
  cursor.set_max_records(0);
  std::map<std::string, uint64_t> at;
  for (const v1::FrontierEntry& e : cursor.cursor()) at[e.origin()] = e.seq();
  for (bool more = true; more;) {
    more = false;
    ASSIGN_OR_RETURN(std::vector<v1::PullBatch> batches, CollectPull(child, cursor));
    for (v1::PullBatch& b : batches) {
      for (const v1::ForkProof& p : b.forks()) {
        ASSIGN_OR_RETURN(record::DecodedRecord r, record::Decode(p.a()));
        v1::FrontierEntry* known = cursor.add_known_forks();
        known->set_origin(r.body.origin());
        known->set_seq(r.body.seq());
      }
      if (!b.origin().empty()) {
        if (b.records_size() == 0 && b.scanned_to() <= at[b.origin()]) continue;
        more = more || b.records_size() > 0;
        at[b.origin()] = b.scanned_to();
      }
      *body.add_pulled() = std::move(b);
    }
    cursor.clear_cursor();
    for (const auto& [origin, seq] : at) {
      v1::FrontierEntry* e = cursor.add_cursor();
      e->set_origin(origin);
      e->set_seq(seq);
    }
  }
  UpdateLink("child", child, [&](v1::LinkStatus* l) { l->set_last_bundle_ms(now); });
  return body;
}

absl::StatusOr<v1::ExportBundleReply> Node::SealBundle(const v1::BundleBody& body_in) const {
  v1::BundleBody body = body_in;
  body.set_created_ms(clock_.wall()->NowMillis());
  std::string nonce(16, '\0');
  randombytes_buf(nonce.data(), nonce.size());
  body.set_nonce(nonce);
  v1::SignedBundle sealed;
  sealed.set_body(body.SerializeAsString());
  sealed.set_signature(Key()->Sign(BundleMessage(sealed.body())));
  const std::string payload = sealed.SerializeAsString();
  v1::ExportBundleReply reply;
  reply.set_file(absl::StrCat(kMagic, store::EncodeU64(payload.size()), payload));
  *reply.mutable_info() = Describe(body);
  return reply;
}

absl::StatusOr<v1::BundleBody> Node::OpenBundle(const std::string& file) {
  if (file.size() < kMagic.size() || absl::string_view(file).substr(0, kMagic.size()) != kMagic) {
    return absl::InvalidArgumentError("not a rectsync bundle: it does not start with \"RECTSYNC BUNDLE v1\"");
  }
  if (file.size() < kHeaderSize) {
    return absl::DataLossError("truncated bundle: the file ends inside its header; copy it again");
  }
  const uint64_t declared = store::DecodeU64(absl::string_view(file).substr(kMagic.size(), 8));
  const uint64_t held = file.size() - kHeaderSize;
  if (held < declared) {
    return absl::DataLossError(absl::StrCat("truncated bundle: the file holds ", held, " of the ", declared,
                                            " bytes its header declares; copy it again"));
  }
  if (held > declared) {
    return absl::InvalidArgumentError(absl::StrCat("damaged bundle: ", held - declared,
                                                   " bytes follow the end its header declares"));
  }
  v1::SignedBundle sealed;
  v1::BundleBody body;
  if (!sealed.ParseFromArray(file.data() + kHeaderSize, static_cast<int>(declared)) ||
      !body.ParseFromString(sealed.body())) {
    return absl::DataLossError("damaged bundle: its contents do not parse");
  }
  if (body.to() != unit_) {
    return absl::FailedPreconditionError(absl::StrCat("the bundle is addressed to \"", body.to(),
                                                      "\", not to this node (\"", unit_, "\")"));
  }
  const bool up = StrictlyBelow(body.from(), unit_);
  if (!up && body.from() != ParentUnit()) {
    return absl::PermissionDeniedError(absl::StrCat("the bundle comes from \"", body.from(),
                                                    "\", which is neither below this node nor its parent"));
  }
  std::vector<record::Enrolment> enrolments;
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    enrolments = trust_.EnrolmentsOf(body.from());
  }
  if (enrolments.empty()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "the bundle's writer \"", body.from(), "\" is not enrolled in this node's trust chain"));
  }
  // Any key of the writer's not past its expiry (plus the grace) when the
  // bundle was written; each record inside is checked on its own as well.
  const std::string message = BundleMessage(sealed.body());
  bool verified = false;
  for (const record::Enrolment& e : enrolments) {
    if (body.created_ms() >= record::AcceptedUntil(e, options_.enrolment_grace_ms)) continue;
    verified = verified || record::VerifySignature(e.public_key, message, sealed.signature());
  }
  if (!verified) {
    return absl::UnauthenticatedError(absl::StrCat(
        "the bundle's signature does not verify under the key enrolled for \"", body.from(),
        "\": it was altered or damaged after it was written; nothing of it is stored"));
  }
  const bool down_parts = body.replies_size() > 0 || body.pulled_size() > 0;
  const bool up_parts = body.batches_size() > 0 || body.fork_proofs_size() > 0 || body.pull_cursor_size() > 0;
  if ((up && down_parts) || (!up && up_parts)) {
    return absl::InvalidArgumentError(absl::StrCat("the bundle from \"", body.from(),
                                                   "\" mixes the parts of an upward and a downward bundle"));
  }
  return body;
}

absl::StatusOr<v1::ImportBundleReply> Node::ImportBundle(const std::string& file) {
  ASSIGN_OR_RETURN(v1::BundleBody body, OpenBundle(file));
  v1::ImportBundleReply reply;
  *reply.mutable_info() = Describe(body);
  if (StrictlyBelow(body.from(), unit_)) {
    RETURN_IF_ERROR(ImportUp(body, &reply));
  } else {
    RETURN_IF_ERROR(ImportDown(body, &reply));
  }
  return reply;
}

absl::Status Node::ImportUp(const v1::BundleBody& body, v1::ImportBundleReply* reply) {
  const std::string& child = body.from();
  if (body.fork_proofs_size() > 0) {
    absl::StatusOr<uint32_t> recorded = IngestForkProofs(child, ForkSource::kChild, body.fork_proofs());
    if (recorded.ok()) {
      reply->set_fork_proofs(*recorded);
    } else {
      reply->add_refusals(absl::StrCat("fork proofs: ", recorded.status().message()));
    }
  }
  // Later batches of a refused origin no longer follow the held head.
  std::set<std::string> refused;
  for (const v1::PushBatch& batch : body.batches()) {
    v1::PushReply r = IngestPush(child, batch);
    reply->set_stored(reply->stored() + r.stored());
    reply->set_duplicates(reply->duplicates() + r.duplicates());
    if (r.retry_after_ms() > 0) {
      // This node cannot store now (its disk is full): the import stops,
      // keeping what it stored; importing the bundle again finishes it.
      return absl::Status(static_cast<absl::StatusCode>(r.code()),
                          absl::StrCat(Range(batch), ": ", r.error(), " (", reply->stored(),
                                       " records of this bundle were stored; import it again)"));
    }
    if (r.code() != 0 && refused.insert(r.origin()).second) {
      reply->add_refusals(absl::StrCat(Range(batch), ": ", r.error()));
    }
  }
  v1::PullRequest cursor;
  *cursor.mutable_cursor() = body.pull_cursor();
  *cursor.mutable_known_forks() = body.known_forks();
  RETURN_IF_ERROR(store_->PutPeer(BundleCursorKey(child), cursor.SerializeAsString()));
  const int64_t now = clock_.wall()->NowMillis();
  UpdateLink("child", child, [&](v1::LinkStatus* l) {
    l->set_last_contact_ms(now);
    l->set_bundles(l->bundles() + 1);
  });
  ASSIGN_OR_RETURN(v1::BundleBody answer, BundleDown(child, std::move(cursor)));
  // The refusals travel back with the receipts, so the unit sees them too.
  for (const std::string& why : reply->refusals()) {
    v1::PushReply* r = answer.add_replies();
    r->set_code(static_cast<int32_t>(absl::StatusCode::kFailedPrecondition));
    r->set_error(why);
  }
  ASSIGN_OR_RETURN(*reply->mutable_answer(), SealBundle(answer));
  return absl::OkStatus();
}

absl::Status Node::ImportDown(const v1::BundleBody& body, v1::ImportBundleReply* reply) {
  const std::string& parent = body.from();
  // Receipts first checked whole (each signed by the parent, for a record
  // this node holds), taken only after the records are stored.
  std::vector<std::pair<std::string, const v1::SignedReceipt*>> take;
  for (const v1::PushReply& r : body.replies()) {
    if (!r.has_receipt()) {
      if (r.code() != 0) reply->add_refusals(absl::StrCat(parent, " refused ", r.error()));
      continue;
    }
    ASSIGN_OR_RETURN(v1::Receipt receipt, CheckReceipt(parent, r.receipt()));
    if (!InSubtree(receipt.origin(), unit_)) {
      return absl::InvalidArgumentError(absl::StrCat("the bundle holds a receipt for \"", receipt.origin(),
                                                     "\", outside this node's subtree"));
    }
    ASSIGN_OR_RETURN(uint64_t acked, ReceiptedSeq(*store_, parent, receipt.origin()));
    if (receipt.seq() <= acked) continue;
    ASSIGN_OR_RETURN(std::optional<v1::Record> mine, store_->GetRecord(receipt.origin(), receipt.seq()));
    if (!mine) {
      reply->add_refusals(absl::StrCat(parent, " holds ", receipt.origin(), " up to #", receipt.seq(),
                                       " but this node does not: run `rectsync restore` before writing here"));
      continue;
    }
    if (record::RecordId(*mine) != receipt.head()) {
      reply->add_refusals(absl::StrCat(parent, " holds a different record at ", receipt.origin(), "#",
                                       receipt.seq(), " (a fork); its receipt is not taken"));
      continue;
    }
    take.emplace_back(receipt.origin(), &r.receipt());
  }
  std::map<std::string, uint64_t> cursor;
  {
    ASSIGN_OR_RETURN(std::vector<v1::FrontierEntry> held, PullCursor());
    for (const v1::FrontierEntry& e : held) cursor[e.origin()] = e.seq();
  }
  uint32_t known_before = 0;
  {
    ASSIGN_OR_RETURN(std::vector<v1::FrontierEntry> forks, KnownForks());
    known_before = static_cast<uint32_t>(forks.size());
  }
  for (const v1::PullBatch& batch : body.pulled()) {
    // A batch this node has scanned past came in an earlier bundle or pull.
    if (batch.forks_size() == 0 && !batch.origin().empty() && batch.scanned_to() <= cursor[batch.origin()]) {
      reply->set_duplicates(reply->duplicates() + batch.records_size());
      continue;
    }
    uint32_t stored = 0;
    if (absl::Status s = IngestPull(parent, batch, &stored); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("bundle from \"", parent, "\": ", s.message()));
    }
    reply->set_stored(reply->stored() + stored);
    reply->set_duplicates(reply->duplicates() + batch.records_size() - stored);
    if (!batch.origin().empty()) cursor[batch.origin()] = batch.scanned_to();
  }
  {
    ASSIGN_OR_RETURN(std::vector<v1::FrontierEntry> forks, KnownForks());
    reply->set_fork_proofs(static_cast<uint32_t>(forks.size()) - known_before);
  }
  uint64_t receipted = 0;
  for (const auto& [origin, sr] : take) {
    ASSIGN_OR_RETURN(uint64_t acked, ReceiptedSeq(*store_, parent, origin));
    RETURN_IF_ERROR(store_->PutPeer(ReceiptKey(parent, origin), sr->SerializeAsString()));
    v1::Receipt r;
    r.ParseFromString(sr->body());
    receipted += r.seq() - acked;
  }
  reply->set_receipts(static_cast<uint32_t>(take.size()));
  const int64_t now = clock_.wall()->NowMillis();
  UpdateLink("parent", parent, [&](v1::LinkStatus* l) {
    l->set_last_contact_ms(now);
    l->set_last_bundle_ms(now);
    l->set_bundles(l->bundles() + 1);
    l->set_records_sent(l->records_sent() + receipted);
    l->set_records_received(l->records_received() + reply->stored());
    for (const std::string& why : reply->refusals()) {
      l->set_refusals(l->refusals() + 1);
      l->set_last_refusal(why);
    }
  });
  return absl::OkStatus();
}

}  // namespace rectsync::node
