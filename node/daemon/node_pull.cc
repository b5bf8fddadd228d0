// Node's pull side (DESIGN §7): serving a child's long poll with the
// records from outside its subtree that concern it (CollectPull), storing
// what the parent sends down (IngestPull), and the pull cursor this node
// keeps of its parent's origins.
#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "aggregator/fold.h"
#include "aggregator/status_macros.h"
#include "aggregator/unit_id.h"
#include "node/daemon/node.h"

namespace rectsync::node {
namespace {

using aggregator::InSubtree;

constexpr size_t kDefaultPullRecords = 2000;

std::string PullCursorKey(const std::string& origin) { return absl::StrCat("pull/", origin); }

}  // namespace

// Does `body` (from an origin outside `subtree`) concern `subtree`?
absl::StatusOr<bool> RecordConcerns(const store::Store& store, const v1::RecordBody& body,
                                    const std::string& subtree, ConcernsCache* cache) {
  auto related = [&](const std::string& unit) {
    return InSubtree(unit, subtree) || InSubtree(subtree, unit);
  };
  switch (body.event_case()) {
    case v1::RecordBody::kUnitEnrolled: return related(body.unit_enrolled().unit());
    case v1::RecordBody::kKeyRevoked: return related(body.key_revoked().unit());
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
  if (cache != nullptr) {
    if (auto known = cache->problems.find(pid); known != cache->problems.end()) return known->second;
    ++cache->reads;
  }
  ASSIGN_OR_RETURN(std::optional<v1::ProblemState> state, store.GetProblem(pid));
  const bool concerns = state && state->raised() && InSubtree(state->unit(), subtree);
  if (cache != nullptr) cache->problems[pid] = concerns;
  return concerns;
}

absl::StatusOr<std::vector<v1::PullBatch>> Node::CollectPull(
    const std::string& child, const v1::PullRequest& req, const std::function<bool()>& cancelled) {
  std::map<std::string, uint64_t> cursor;
  for (const v1::FrontierEntry& e : req.cursor()) cursor[e.origin()] = e.seq();
  const size_t limit = req.max_records() > 0 ? req.max_records() : kDefaultPullRecords;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(req.wait_ms());
  std::set<std::pair<std::string, uint64_t>> known_forks;
  for (const v1::FrontierEntry& e : req.known_forks()) known_forks.emplace(e.origin(), e.seq());
  // Per origin, the batch this answer carries. A long-poll wake scans only
  // what arrived since the last scan: `cursor` moves up to what was scanned.
  std::map<std::string, v1::PullBatch> batches;
  std::vector<v1::ForkProof> proofs;
  ConcernsCache concerns_cache;
  uint64_t records_read = 0;
  // Only the child's ancestors write records that concern it from outside
  // its subtree (a sibling's would be authority violations): for a direct
  // child, this node and its ancestors; for a grandchild that failed over
  // here, also the units between. Root first, so enrolments arrive before
  // what they sign. Of this node and units below it every record is held;
  // of those above, what was pulled.
  std::vector<std::string> origins = aggregator::SelfAndAncestors(aggregator::ParentUnit(child));
  std::reverse(origins.begin(), origins.end());
  while (true) {
    const uint64_t seen = changes();
    // Fork proofs the child lacks, of origins on its path or below it.
    ASSIGN_OR_RETURN(proofs, ForkProofs([&](const std::string& origin, uint64_t seq) {
                       return (InSubtree(origin, child) || InSubtree(child, origin)) &&
                              !known_forks.count({origin, seq});
                     }));
    size_t total = proofs.size();
    for (const std::string& origin : origins) {
      if (total >= limit) break;
      uint64_t scanned_to = 0;
      if (InSubtree(origin, unit_)) {
        ASSIGN_OR_RETURN(store::Head h, store_->GetHead(origin));
        scanned_to = h.seq;
      } else {
        ASSIGN_OR_RETURN(std::optional<std::string> c, store_->GetPeer(PullCursorKey(origin)));
        if (c) scanned_to = store::DecodeU64(*c);
      }
      const uint64_t from = cursor[origin] + 1;
      if (from > scanned_to) continue;
      v1::PullBatch& batch = batches[origin];
      batch.set_origin(origin);
      absl::Status inner;
      RETURN_IF_ERROR(store_->ScanOrigin(origin, from, [&](uint64_t seq, const v1::Record& env) {
        if (seq > scanned_to) return false;
        ++records_read;
        auto r = record::Decode(env);
        if (!r.ok()) {
          inner = absl::DataLossError(absl::StrCat("stored ", origin, "#", seq, ": ", r.status().message()));
          return false;
        }
        auto concerns = RecordConcerns(*store_, r->body, child, &concerns_cache);
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
      cursor[origin] = scanned_to;
    }
    if (total > 0) break;  // news goes out at once
    // Long poll: wait for news in short slices, watching for cancellation.
    bool changed = false;
    while (!changed && std::chrono::steady_clock::now() < deadline &&
           !(cancelled && cancelled())) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      changed = WaitForChange(seen, std::min(left, std::chrono::milliseconds(100))) != seen;
    }
    if (!changed) break;
  }
  std::vector<v1::PullBatch> out;
  if (!proofs.empty()) {
    v1::PullBatch forks;
    for (v1::ForkProof& p : proofs) *forks.add_forks() = std::move(p);
    out.push_back(std::move(forks));
  }
  for (const std::string& origin : origins) {
    if (auto b = batches.find(origin); b != batches.end()) out.push_back(std::move(b->second));
  }
  UpdateLink("child", child, [&](v1::LinkStatus* l) {
    l->set_last_contact_ms(clock_.wall()->NowMillis());
    l->set_pull_records_read(l->pull_records_read() + records_read);
    l->set_pull_problem_reads(l->pull_problem_reads() + concerns_cache.reads);
  });
  return out;
}

absl::Status Node::IngestPull(const std::string& parent, const v1::PullBatch& batch,
                              uint32_t* stored_out) {
  if (batch.forks_size() > 0) {
    absl::StatusOr<uint32_t> recorded = IngestForkProofs(parent, ForkSource::kParent, batch.forks());
    if (!recorded.ok()) {
      return absl::Status(recorded.status().code(),
                          absl::StrCat("pulled ", recorded.status().message()));
    }
  }
  if (batch.origin().empty()) {
    if (batch.records_size() > 0) {
      return absl::InvalidArgumentError("pulled batch holds records but names no origin");
    }
    return absl::OkStatus();
  }
  size_t stored = 0;
  bool forked = false;
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    if (InSubtree(batch.origin(), unit_)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "pulled batch names origin \"", batch.origin(), "\" inside this node's own subtree"));
    }
    ASSIGN_OR_RETURN(uint64_t frozen, store_->FrozenAt(batch.origin()));
    std::vector<store::StoredRecord> recs;
    bool own_enrolment = false;
    // Trust records of the batch are admitted to a copy, so that later
    // records of the batch signed by a key it enrols verify, and the copy
    // replaces the live store only once the batch is appended.
    std::optional<record::TrustStore> trial;
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
      RETURN_IF_ERROR((trial ? *trial : trust_).CheckSignature(env, *r));
      ASSIGN_OR_RETURN(std::optional<v1::Record> held, store_->GetRecord(r->body.origin(), r->body.seq()));
      if (held) {
        if (record::RecordId(*held) == r->id) continue;
        // Both validly signed at one (origin, seq): a fork, kept as proof.
        RETURN_IF_ERROR(store_->RecordFork(env, *r));
        frozen = frozen == 0 ? r->body.seq() : std::min(frozen, r->body.seq());
        forked = true;
        continue;
      }
      // A frozen origin's records past its fork are not taken (as at push).
      if (frozen > 0 && r->body.seq() >= frozen) continue;
      if (record::IsTrustRecord(r->body)) {
        if (!trial) trial = trust_;
        trial->Admit(env, *r).IgnoreError();  // one that grants nothing is kept as evidence
      }
      own_enrolment = own_enrolment || (r->body.has_unit_enrolled() && r->body.unit_enrolled().unit() == unit_);
      ObserveReceived(*r, &extras);
      recs.push_back({env, *std::move(r)});
    }
    ASSIGN_OR_RETURN(std::optional<std::string> prior, store_->GetPeer(PullCursorKey(batch.origin())));
    if (prior && store::DecodeU64(*prior) > batch.scanned_to()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "parent moved the pull cursor of \"", batch.origin(), "\" backwards"));
    }
    extras.peer_puts.emplace_back(PullCursorKey(batch.origin()), store::EncodeU64(batch.scanned_to()));
    RETURN_IF_ERROR(store_->Append(recs, nullptr, extras));
    if (trial) trust_ = *std::move(trial);
    stored = recs.size();
    // A new enrolment of this unit may be the one its next key waits for.
    if (own_enrolment) TakeNextKeyLocked();
  }
  if (stored_out != nullptr) *stored_out = static_cast<uint32_t>(stored);
  const int64_t now = clock_.wall()->NowMillis();
  UpdateLink("parent", parent, [&](v1::LinkStatus* l) {
    l->set_records_received(l->records_received() + stored);
    l->set_last_contact_ms(now);
  });
  if (stored > 0 || forked || batch.scanned_to() > 0) NotifyChange();
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

}  // namespace rectsync::node
