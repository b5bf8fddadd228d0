// Node's reconciliation side (DESIGN §8): attesting this subtree's summary
// at a frontier, and checking attestations and reported figures against the
// records held.
#include <map>

#include "absl/strings/str_cat.h"
#include "aggregator/reconcile.h"
#include "aggregator/replica.h"
#include "aggregator/status_macros.h"
#include "aggregator/unit_id.h"
#include "node/daemon/node.h"

namespace rectsync::node {
namespace {

using aggregator::InSubtree;

constexpr char kMetaLastAttested[] = "last_attested_counters";
// Every this many attestations states its whole frontier (see Attest).
constexpr int kWholeFrontierEvery = 64;

std::string EncodeCounters(const aggregator::Counters& c) {
  v1::SummaryAttested a;
  for (const auto& [k, v] : c) {
    v1::Counter* x = a.add_counters();
    x->set_key(k);
    x->set_value(v);
  }
  return a.SerializeAsString();
}

}  // namespace

absl::StatusOr<bool> Node::Attest(const std::string& author, bool summary_only) {
  std::lock_guard<std::mutex> lock(write_mu_);
  // A full uplink attests what its records show (the parent recomputes it);
  // a summary-only one what its summary shows, summary-only units below
  // included.
  ASSIGN_OR_RETURN(aggregator::Counters counters,
                   summary_only ? store_->SummaryCounters(unit_) : store_->GetRollup(unit_));
  const std::string encoded = EncodeCounters(counters);
  ASSIGN_OR_RETURN(std::optional<std::string> last, store_->GetMeta(kMetaLastAttested));
  if (last && *last == encoded) return false;

  v1::RecordBody body;
  body.set_author(author);
  v1::SummaryAttested* a = body.mutable_summary_attested();
  a->set_unit(unit_);
  a->set_summary_only(summary_only);
  if (summary_only && last) {
    // A parent answering from these counters must see a counter that fell
    // to zero: name every key attested before.
    v1::SummaryAttested before;
    if (before.ParseFromString(*last)) {
      for (const v1::Counter& c : before.counters()) counters.emplace(c.key(), 0);
    }
  }
  // The frontier: every origin of the subtree at its head, and for origins
  // outside it the last record held that concerns this subtree. After this
  // node's first attestation since it opened, only the origins of the
  // subtree that moved since the last one, over it as frontier_base; a
  // whole frontier every kWholeFrontierEvery, so that reading one back
  // stays short.
  const store::HeadTable& table = store_->head_table();
  const uint64_t version = table.version();  // before the heads: a move in between is listed twice, not lost
  const bool delta = attested_.base_seq > 0 && attested_.deltas < kWholeFrontierEvery;
  store::HeadTable::Heads heads = delta ? table.MovedSince(attested_.version, unit_) : table.Under(unit_);
  if (delta) a->set_frontier_base(attested_.base_seq);
  AddFrontier(heads, a->mutable_frontier());
  ASSIGN_OR_RETURN(std::vector<v1::FrontierEntry> cursor, PullCursor());
  for (const v1::FrontierEntry& c : cursor) {
    ASSIGN_OR_RETURN(auto last, store_->LastAtOrBefore(c.origin(), c.seq()));
    if (!last) continue;
    v1::FrontierEntry* f = a->add_frontier();
    f->set_origin(c.origin());
    f->set_seq(last->first);
    f->set_head(record::RecordId(last->second));
  }
  for (const auto& [k, v] : counters) {
    v1::Counter* x = a->add_counters();
    x->set_key(k);
    x->set_value(v);
  }
  ASSIGN_OR_RETURN(v1::AppendReply appended, AppendLocked(std::move(body)));
  attested_ = {appended.seq(), version, delta ? attested_.deltas + 1 : 0};
  RETURN_IF_ERROR(store_->PutMeta(kMetaLastAttested, encoded));
  return true;
}

absl::Status Node::IngestAttestation(const std::string& pusher, const v1::Record& env) {
  ASSIGN_OR_RETURN(record::DecodedRecord r, record::Decode(env));
  if (!r.body.has_summary_attested() || !r.body.summary_attested().summary_only()) {
    return absl::InvalidArgumentError("an attestation uplink carries only summary-only SummaryAttested records");
  }
  if (!InSubtree(r.body.origin(), pusher)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "origin \"", r.body.origin(), "\" lies outside the subtree of \"", pusher, "\""));
  }
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    RETURN_IF_ERROR(trust_.CheckSignature(env, r));
    store::Store::AppendExtras extras;
    extras.sparse = true;
    ObserveReceived(r, &extras);
    RETURN_IF_ERROR(store_->Append({store::StoredRecord{env, r}}, nullptr, extras));
  }
  const int64_t now = clock_.wall()->NowMillis();
  UpdateLink("child", pusher, [&](v1::LinkStatus* l) {
    l->set_last_contact_ms(now);
    l->set_last_success_ms(now);
    l->set_records_received(l->records_received() + 1);
  });
  NotifyChange();
  return absl::OkStatus();
}

absl::StatusOr<std::optional<v1::Record>> Node::LatestOwnAttestation() const {
  ASSIGN_OR_RETURN(auto all, store_->Attestations(unit_));
  for (const auto& [origin, seq] : all) {
    if (origin == unit_) return store_->GetRecord(origin, seq);
  }
  return std::nullopt;
}

absl::StatusOr<std::optional<std::vector<v1::FrontierEntry>>> Node::AttestedFrontier(
    const record::DecodedRecord& att) const {
  // Oldest last: the attestation, its base, the base's base, ... down to
  // one that states its whole frontier. Bases have lower seqs, so the walk ends.
  std::vector<record::DecodedRecord> chain = {att};
  const std::string& origin = att.body.origin();
  while (chain.back().body.summary_attested().frontier_base() > 0) {
    const uint64_t base = chain.back().body.summary_attested().frontier_base();
    ASSIGN_OR_RETURN(std::optional<v1::Record> env, store_->GetRecord(origin, base));
    if (!env) return std::nullopt;
    ASSIGN_OR_RETURN(record::DecodedRecord r, record::Decode(*env));
    if (!r.body.has_summary_attested() || r.body.summary_attested().unit() != att.body.summary_attested().unit() ||
        r.body.seq() >= chain.back().body.seq()) {
      return absl::DataLossError(absl::StrCat("attestation ", origin, "#", chain.back().body.seq(),
                                              " states its frontier over ", origin, "#", base,
                                              ", which is not an earlier attestation of the same unit"));
    }
    chain.push_back(std::move(r));
  }
  std::map<std::string, v1::FrontierEntry> whole;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    for (const v1::FrontierEntry& f : it->body.summary_attested().frontier()) whole[f.origin()] = f;
  }
  std::vector<v1::FrontierEntry> out;
  out.reserve(whole.size());
  for (auto& [o, f] : whole) out.push_back(std::move(f));
  return out;
}

absl::StatusOr<v1::ReconcileReply> Node::Reconcile(const v1::ReconcileRequest& req) const {
  const std::string& subtree = req.unit().empty() ? unit_ : req.unit();
  RETURN_IF_ERROR(aggregator::ValidateUnitId(subtree, "unit"));
  v1::ReconcileReply reply;
  reply.set_unit(subtree);
  auto add = [&](std::vector<v1::Difference> ds) {
    for (v1::Difference& d : ds) *reply.add_differences() = std::move(d);
  };

  // 1. Attestations: recompute each at its frontier from the records held.
  ASSIGN_OR_RETURN(auto attestations, store_->Attestations(subtree));
  for (const auto& [origin, seq] : attestations) {
    ASSIGN_OR_RETURN(std::optional<v1::Record> env, store_->GetRecord(origin, seq));
    if (!env) return absl::DataLossError("attestation index names a record that is not stored");
    ASSIGN_OR_RETURN(record::DecodedRecord att, record::Decode(*env));
    const v1::SummaryAttested& a = att.body.summary_attested();
    if (a.unit() == unit_) continue;  // this node's own: it is what it holds
    if (a.summary_only()) continue;   // no records here to recompute it from
    reply.set_attestations_checked(reply.attestations_checked() + 1);
    aggregator::Replica replica;
    bool complete = true;
    ASSIGN_OR_RETURN(std::optional<std::vector<v1::FrontierEntry>> frontier, AttestedFrontier(att));
    if (!frontier) {
      v1::Difference* d = reply.add_differences();
      d->set_kind("missing_records");
      d->set_unit(a.unit());
      d->set_key(att.body.origin());
      d->set_detail(absl::StrCat("the attestation's frontier is stated over ", att.body.origin(), "#",
                                 a.frontier_base(), ", which ", unit_, " does not hold"));
      d->add_records(absl::StrCat("attestation @ ", att.body.origin(), "#", att.body.seq()));
      continue;
    }
    for (const v1::FrontierEntry& f : *frontier) {
      const bool inside = InSubtree(f.origin(), a.unit());
      uint64_t held_to = 0;
      absl::Status inner;
      RETURN_IF_ERROR(store_->ScanOrigin(f.origin(), 1, [&](uint64_t s, const v1::Record& r) {
        if (s > f.seq()) return false;
        auto d = record::Decode(r);
        if (!d.ok()) {
          inner = d.status();
          return false;
        }
        held_to = s;
        if (!inside) {
          auto concerns = RecordConcerns(*store_, d->body, a.unit());
          if (!concerns.ok()) {
            inner = concerns.status();
            return false;
          }
          if (!*concerns) return true;
        }
        inner = replica.Add(*d);
        return inner.ok();
      }));
      RETURN_IF_ERROR(inner);
      if (inside && held_to < f.seq()) {
        complete = false;
        v1::Difference* d = reply.add_differences();
        d->set_kind("missing_records");
        d->set_unit(a.unit());
        d->set_key(f.origin());
        d->set_stated(static_cast<int64_t>(f.seq()));
        d->set_recorded(static_cast<int64_t>(held_to));
        d->set_detail(absl::StrCat("attested up to ", f.origin(), "#", f.seq(), " but ", unit_,
                                   " holds only up to #", held_to,
                                   " (not yet received while sync is under way, or withheld)"));
        d->add_records(absl::StrCat("attestation @ ", att.body.origin(), "#", att.body.seq()));
      }
    }
    if (!complete) continue;  // counters cannot be compared without the records
    aggregator::Counters attested;
    for (const v1::Counter& c : a.counters()) attested[c.key()] = c.value();
    aggregator::Counters recomputed;
    if (auto it = replica.rollups().find(a.unit()); it != replica.rollups().end()) {
      recomputed = it->second;
    }
    std::vector<v1::Difference> ds =
        aggregator::CompareAttested(a.unit(), attested, recomputed, replica.problems());
    for (v1::Difference& d : ds) {
      d.add_records(absl::StrCat("attestation @ ", att.body.origin(), "#", att.body.seq()));
    }
    add(std::move(ds));
  }

  // 2. Reported figures against the ledger, and parts against totals.
  std::map<std::string, std::vector<v1::FigureState>> figures;
  RETURN_IF_ERROR(store_->ScanFigures(subtree, [&](const v1::FigureState& f) {
    figures[f.unit()].push_back(f);
  }));
  for (const auto& [unit, fs] : figures) {
    reply.set_figures_checked(reply.figures_checked() + static_cast<uint32_t>(fs.size()));
    ASSIGN_OR_RETURN(aggregator::Counters ledger, store_->GetRollup(unit));
    std::map<std::string, v1::ProblemState> problems;
    RETURN_IF_ERROR(store_->ScanProblems(unit, [&](const v1::ProblemState& s) {
      problems[s.problem_id()] = s;
      return problems.size() < 10000;
    }));
    add(aggregator::CheckFigures(unit, fs, ledger, problems));
    add(aggregator::CheckParts(unit, fs));
  }

  // 3. The ledger's own arithmetic at the unit and one level down.
  ASSIGN_OR_RETURN(aggregator::Counters own, store_->GetRollup(subtree));
  add(aggregator::CheckStatusSum(subtree, own));
  ASSIGN_OR_RETURN(std::vector<std::string> children, store_->ChildUnits(subtree));
  for (const std::string& child : children) {
    ASSIGN_OR_RETURN(aggregator::Counters c, store_->GetRollup(child));
    add(aggregator::CheckStatusSum(child, c));
  }
  return reply;
}

}  // namespace rectsync::node
