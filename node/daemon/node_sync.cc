// Node's sync side (DESIGN §5, §7): handshake frontiers, receipts, link
// bookkeeping and status, change notification. Serving and taking pulls is
// in node_pull.cc, ingest of pushed batches in node_ingest.cc. The gRPC
// adapters live in node/sync/.
#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "aggregator/fold.h"
#include "aggregator/status_macros.h"
#include "aggregator/unit_id.h"
#include "node/daemon/node.h"

namespace rectsync::node {
namespace {

using aggregator::InSubtree;

std::string ReceiptMessage(absl::string_view body) {
  return absl::StrCat(absl::string_view("rectsync.receipt.v1\0", 20), body);
}

std::string LinkKey(const std::string& direction, const std::string& peer) {
  return absl::StrCat("link/", direction, "/", peer);
}

}  // namespace

void AddFrontier(const store::HeadTable::Heads& heads,
                 google::protobuf::RepeatedPtrField<v1::FrontierEntry>* out) {
  for (const auto& [origin, head] : heads) {
    v1::FrontierEntry* f = out->Add();
    f->set_origin(origin);
    f->set_seq(head.seq);
    f->set_head(head.id);
  }
}

absl::StatusOr<v1::HandshakeReply> Node::Handshake(const std::string& child,
                                                   const std::string& believed_digest) {
  v1::HandshakeReply reply;
  reply.set_parent(unit_);
  reply.set_time_ms(clock_.wall()->NowMillis());
  const std::string digest = store_->head_table().DigestUnder(child).bytes();
  reply.set_frontier_digest(digest);
  if (believed_digest == digest) {
    reply.set_frontier_unchanged(true);
  } else {
    ASSIGN_OR_RETURN(auto heads, store_->HeadsUnder(child));
    AddFrontier(heads, reply.mutable_frontier());
  }
  ASSIGN_OR_RETURN(std::vector<store::Store::Fork> forks, store_->Forks());
  for (const store::Store::Fork& f : forks) {
    if (!InSubtree(f.origin, child)) continue;
    v1::FrontierEntry* e = reply.add_frozen();
    e->set_origin(f.origin);
    e->set_seq(f.seq);
    e->set_head(f.other_id);
  }
  UpdateLink("child", child, [&](v1::LinkStatus* l) {
    l->set_last_contact_ms(reply.time_ms());
    l->set_handshakes(l->handshakes() + 1);
    l->set_handshake_frontier_entries(l->handshake_frontier_entries() + reply.frontier_size());
  });
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

v1::SignedReceipt Node::SignReceipt(const std::string& origin, const store::Head& head, int64_t now_ms) const {
  v1::Receipt receipt;
  receipt.set_parent(unit_);
  receipt.set_origin(origin);
  receipt.set_seq(head.seq);
  receipt.set_head(head.id);
  receipt.set_time_ms(now_ms);
  v1::SignedReceipt out;
  out.set_body(receipt.SerializeAsString());
  out.set_signature(Key()->Sign(ReceiptMessage(out.body())));
  return out;
}

absl::StatusOr<v1::Receipt> Node::CheckReceipt(const std::string& parent,
                                               const v1::SignedReceipt& sr) {
  // Any key of the parent usable now: after a rotation the parent signs
  // with its new key while the old one is still accepted until its stated
  // time; a revoked or expired key is not.
  std::vector<std::string> keys;
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    absl::StatusOr<std::vector<const record::Enrolment*>> current =
        trust_.Current(parent, clock_.wall()->NowMillis(), options_.enrolment_grace_ms, options_.max_clock_skew_ms);
    if (!current.ok()) {
      return absl::FailedPreconditionError(absl::StrCat("receipt from parent \"", parent, "\": ",
                                                        current.status().message()));
    }
    for (const record::Enrolment* e : *current) keys.push_back(e->public_key);
  }
  bool signed_ok = false;
  for (const std::string& key : keys) {
    signed_ok = signed_ok || record::VerifySignature(key, ReceiptMessage(sr.body()), sr.signature());
  }
  if (!signed_ok) {
    return absl::UnauthenticatedError(
        absl::StrCat("receipt signature does not verify under a current key of \"", parent, "\""));
  }
  v1::Receipt r;
  if (!r.ParseFromString(sr.body())) return absl::InvalidArgumentError("receipt body does not parse");
  if (r.parent() != parent) {
    return absl::InvalidArgumentError(
        absl::StrCat("receipt names parent \"", r.parent(), "\", expected \"", parent, "\""));
  }
  return r;
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
  reply.set_write_fault(std::string(store_->WriteFault().message()));
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
          auto d = record::Decode(*env);
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
  std::set<std::string> units = {unit_};
  for (const v1::LinkStatus& l : reply.links()) units.insert(l.peer());
  std::vector<v1::KeyInfo> keys;
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    for (const std::string& u : units) AddKeyInfo(u, &keys);
  }
  for (v1::KeyInfo& k : keys) *reply.add_keys() = std::move(k);
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
