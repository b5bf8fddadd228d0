// Node's fork proofs (DESIGN §3): two different records at one (origin,
// seq), each validly signed by a key enrolled for the origin. A node that
// detects a fork keeps both and freezes the origin; the proof then travels
// up (a child reports what its parent lacks, Sync.ReportForks) and down (a
// pull carries what the child lacks), is verified on arrival and freezes
// the origin wherever it reaches.
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "aggregator/status_macros.h"
#include "aggregator/unit_id.h"
#include "node/daemon/node.h"

namespace rectsync::node {
namespace {

using aggregator::InSubtree;

std::string ForkKey(const std::string& origin, uint64_t seq) {
  return absl::StrCat(origin, "#", seq);
}

}  // namespace

absl::StatusOr<std::vector<v1::ForkProof>> Node::ForkProofs(
    const std::function<bool(const std::string& origin, uint64_t seq)>& want) const {
  ASSIGN_OR_RETURN(std::vector<store::Store::Fork> forks, store_->Forks());
  // (origin, seq) -> the distinct records held there, the log's own first.
  std::map<std::pair<std::string, uint64_t>, std::vector<v1::Record>> at;
  for (store::Store::Fork& f : forks) {
    if (want && !want(f.origin, f.seq)) continue;
    auto& records = at[{f.origin, f.seq}];
    if (records.empty()) {
      ASSIGN_OR_RETURN(std::optional<v1::Record> held, store_->GetRecord(f.origin, f.seq));
      if (held) records.push_back(*std::move(held));
    }
    const std::string id = record::RecordId(f.other);
    bool known = false;
    for (const v1::Record& r : records) known = known || record::RecordId(r) == id;
    if (!known) records.push_back(std::move(f.other));
  }
  std::vector<v1::ForkProof> out;
  for (auto& [key, records] : at) {
    if (records.size() < 2) continue;  // cannot happen: a fork is kept with its other half
    v1::ForkProof p;
    *p.mutable_a() = std::move(records[0]);
    *p.mutable_b() = std::move(records[1]);
    out.push_back(std::move(p));
  }
  return out;
}

absl::StatusOr<std::vector<v1::FrontierEntry>> Node::KnownForks() const {
  ASSIGN_OR_RETURN(std::vector<store::Store::Fork> forks, store_->Forks());
  std::vector<v1::FrontierEntry> out;
  std::set<std::string> seen;
  for (const store::Store::Fork& f : forks) {
    if (!seen.insert(ForkKey(f.origin, f.seq)).second) continue;
    v1::FrontierEntry e;
    e.set_origin(f.origin);
    e.set_seq(f.seq);
    out.push_back(std::move(e));
  }
  return out;
}

absl::StatusOr<uint32_t> Node::IngestForkProofs(
    const std::string& peer, ForkSource source,
    const google::protobuf::RepeatedPtrField<v1::ForkProof>& proofs) {
  struct Checked {
    store::StoredRecord a, b;
  };
  std::vector<Checked> checked;
  std::lock_guard<std::mutex> lock(write_mu_);
  // Verify every proof before storing any: a refused report stores nothing.
  for (int i = 0; i < proofs.size(); ++i) {
    const v1::ForkProof& p = proofs[i];
    auto what = [&](absl::string_view s) { return absl::StrCat("fork proof ", i + 1, ": ", s); };
    auto a = record::Open(p.a());
    if (!a.ok()) return absl::InvalidArgumentError(what(absl::StrCat("record a: ", a.status().message())));
    auto b = record::Open(p.b());
    if (!b.ok()) return absl::InvalidArgumentError(what(absl::StrCat("record b: ", b.status().message())));
    const std::string& origin = a->body.origin();
    if (b->body.origin() != origin || b->body.seq() != a->body.seq()) {
      return absl::InvalidArgumentError(what(absl::StrCat(
          "its records are ", record::Describe(a->body), " and ", record::Describe(b->body),
          "; a fork is two records at the same origin and seq")));
    }
    if (a->id == b->id) return absl::InvalidArgumentError(what("its two records are the same record"));
    const bool in_scope = source == ForkSource::kChild
                              ? InSubtree(origin, peer)
                              : InSubtree(origin, unit_) || InSubtree(unit_, origin);
    if (!in_scope) {
      return absl::PermissionDeniedError(what(absl::StrCat(
          "origin \"", origin, "\" is ",
          source == ForkSource::kChild ? absl::StrCat("outside the subtree of \"", peer, "\"")
                                       : absl::StrCat("neither above nor below \"", unit_, "\""))));
    }
    for (const auto* r : {&*a, &*b}) {
      const v1::Record& env = r == &*a ? p.a() : p.b();
      if (absl::Status s = trust_.CheckSignature(env, *r); !s.ok()) {
        return absl::Status(s.code(), what(absl::StrCat(s.message(), "; not a proof")));
      }
    }
    checked.push_back({{p.a(), *std::move(a)}, {p.b(), *std::move(b)}});
  }
  ASSIGN_OR_RETURN(std::vector<store::Store::Fork> forks, store_->Forks());
  std::set<std::string> kept;  // ids held as fork halves
  for (const store::Store::Fork& f : forks) kept.insert(f.other_id);
  uint32_t recorded = 0;
  for (const Checked& c : checked) {
    bool fresh = false;
    for (const store::StoredRecord* r : {&c.a, &c.b}) {
      const v1::RecordBody& body = r->decoded.body;
      ASSIGN_OR_RETURN(std::optional<v1::Record> held, store_->GetRecord(body.origin(), body.seq()));
      if (held && record::RecordId(*held) == r->decoded.id) continue;
      if (!kept.insert(r->decoded.id).second) continue;
      RETURN_IF_ERROR(store_->RecordFork(r->envelope, r->decoded));
      fresh = true;
    }
    recorded += fresh ? 1 : 0;
  }
  if (recorded > 0) NotifyChange();
  return recorded;
}

}  // namespace rectsync::node
