// Node's read side: problem detail with signed history, listings, summaries,
// identity and full-store verification.
#include <set>

#include "absl/strings/str_cat.h"
#include "aggregator/date.h"
#include "aggregator/fold.h"
#include "aggregator/status_macros.h"
#include "aggregator/unit_id.h"
#include "node/daemon/node.h"

namespace rectsync::node {

absl::StatusOr<v1::ProblemDetail> Node::GetProblem(const std::string& id) const {
  ASSIGN_OR_RETURN(std::optional<v1::ProblemState> state, store_->GetProblem(id));
  if (!state) return absl::NotFoundError(absl::StrCat("problem_id: unknown problem \"", id, "\""));
  v1::ProblemDetail detail;
  for (const v1::RecordRef& ref : state->history()) {
    v1::HistoryEntry* h = detail.add_history();
    h->set_id(ref.id());
    ASSIGN_OR_RETURN(std::optional<v1::Record> env,
                     store_->GetRecord(ref.key().origin(), ref.key().seq()));
    if (!env) {
      h->set_check_error("record is not stored");
      continue;
    }
    *h->mutable_record() = *env;
    auto decoded = record::Decode(*env);
    if (!decoded.ok()) {
      h->set_check_error(std::string(decoded.status().message()));
    } else if (decoded->id != ref.id()) {
      h->set_check_error("stored record does not hash to the id in the history");
    } else {
      std::lock_guard<std::mutex> lock(write_mu_);
      absl::Status s = trust_.CheckSignature(*env, *decoded);
      h->set_signature_valid(s.ok());
      if (!s.ok()) h->set_check_error(std::string(s.message()));
    }
  }
  ASSIGN_OR_RETURN(int64_t today, aggregator::ParseDate(Today()));
  detail.set_colour(aggregator::Colour(*state, today, options_.yellow_days));
  *detail.mutable_state() = std::move(*state);
  return detail;
}

absl::StatusOr<v1::ListProblemsReply> Node::ListProblems(const v1::ListProblemsRequest& req) const {
  const std::string& subtree = req.unit().empty() ? unit_ : req.unit();
  RETURN_IF_ERROR(aggregator::ValidateUnitId(subtree, "unit"));
  ASSIGN_OR_RETURN(int64_t today,
                   aggregator::ParseDate(req.today().empty() ? Today() : req.today(), "today"));
  if (!req.deadline_before().empty()) {
    RETURN_IF_ERROR(aggregator::ParseDate(req.deadline_before(), "deadline_before").status());
  }
  std::string after_unit, after_id;
  if (!req.page_token().empty()) {
    size_t nl = req.page_token().find('@');
    if (nl == std::string::npos) return absl::InvalidArgumentError("page_token: malformed");
    after_unit = req.page_token().substr(0, nl);
    after_id = req.page_token().substr(nl + 1);
  }
  v1::ListProblemsReply reply;
  RETURN_IF_ERROR(store_->ScanProblems(subtree, after_unit, after_id, [&](const v1::ProblemState& s) {
    if (req.status() != v1::STATUS_UNSPECIFIED && s.status() != req.status()) return true;
    if (!req.category().empty() && s.category() != req.category()) return true;
    if (req.source() != v1::SOURCE_UNSPECIFIED && s.source() != req.source()) return true;
    if (!req.inspection_id().empty() && s.inspection_id() != req.inspection_id()) return true;
    if (!req.deadline_before().empty() &&
        (s.deadline().empty() || s.deadline() > req.deadline_before())) {
      return true;
    }
    if (!req.text().empty() && s.problem_id().find(req.text()) == std::string::npos &&
        s.title().find(req.text()) == std::string::npos &&
        s.detail().find(req.text()) == std::string::npos) {
      return true;
    }
    std::string colour = aggregator::Colour(s, today, options_.yellow_days);
    if (!req.colour().empty() && colour != req.colour()) return true;
    if (req.overdue() && colour != "red") return true;
    if (req.page_size() > 0 && static_cast<uint32_t>(reply.problems_size()) == req.page_size()) {
      const v1::ProblemState& last = reply.problems(reply.problems_size() - 1).state();
      reply.set_next_page_token(absl::StrCat(last.unit(), "@", last.problem_id()));
      return false;
    }
    v1::ProblemRow* row = reply.add_problems();
    *row->mutable_state() = s;
    row->set_colour(colour);
    return true;
  }));
  return reply;
}

absl::StatusOr<v1::Summary> Node::GetSummary(const v1::SummaryRequest& req) const {
  const std::string& unit = req.unit().empty() ? unit_ : req.unit();
  RETURN_IF_ERROR(aggregator::ValidateUnitId(unit, "unit"));
  ASSIGN_OR_RETURN(int64_t today,
                   aggregator::ParseDate(req.today().empty() ? Today() : req.today(), "today"));
  aggregator::SummaryOptions options;
  options.yellow_days = options_.yellow_days;
  ASSIGN_OR_RETURN(aggregator::Counters counters, store_->SummaryCounters(unit));
  v1::Summary summary = aggregator::Summarize(unit, counters, today, options);
  summary.set_as_of_ms(clock_.wall()->NowMillis());
  summary.set_answered_by(unit_);
  summary.set_rate_gap(summary.claimed_rate() - summary.verified_rate());
  if (req.frontier()) {
    ASSIGN_OR_RETURN(auto heads, store_->HeadsUnder(unit));
    AddFrontier(heads, summary.mutable_frontier());
  }
  if (req.children()) {
    ASSIGN_OR_RETURN(std::vector<std::string> children, store_->ChildUnits(unit));
    for (const std::string& child : children) {
      ASSIGN_OR_RETURN(aggregator::Counters c, store_->SummaryCounters(child));
      if (!c.empty()) *summary.add_children() = aggregator::Summarize(child, c, today, options);
    }
  }
  return summary;
}

absl::StatusOr<v1::VerifyReply> Node::Verify() const {
  v1::VerifyReply reply;
  ASSIGN_OR_RETURN(std::optional<std::string> root_key, store_->GetMeta("root_public_key"));
  if (!root_key) return absl::DataLossError("store has no root key");
  record::TrustStore trust(*root_key);
  ASSIGN_OR_RETURN(std::optional<std::string> bundle_bytes, store_->GetMeta("bundle"));
  v1::EnrollmentBundle bundle;
  if (bundle_bytes && bundle.ParseFromString(*bundle_bytes)) {
    for (const v1::Record& env : bundle.chain()) {
      auto r = record::Decode(env);
      // The root's own bundle holds its seq 1, which the scan below admits.
      if (r.ok() && r->body.origin() != unit_) RETURN_IF_ERROR(trust.Admit(env, *r));
    }
  }
  // Origins held as chains have a head; the others (from outside the
  // subtree, or summary-only uplinks) are held sparsely.
  std::set<std::string> chained;
  {
    ASSIGN_OR_RETURN(auto heads, store_->Heads());
    for (const auto& [o, h] : heads) chained.insert(o);
  }
  std::string origin;
  uint64_t expect = 1;
  std::string prev_id;
  bool sparse = false;
  // Chained records whose own signature fails, waiting for a later record
  // of the chain with a valid one to vouch for their bytes (its prev hashes
  // commit to each earlier record's body and signature).
  std::vector<std::pair<uint64_t, std::string>> unvouched;
  auto fail = [&](const std::string& o, uint64_t seq, absl::string_view why) {
    reply.set_first_bad_origin(o);
    reply.set_first_bad_seq(seq);
    reply.set_reason(std::string(why));
    return false;
  };
  // At the end of an origin's chain: anything still unvouched fails.
  auto close_origin = [&]() {
    if (unvouched.empty()) return true;
    const auto& [seq, why] = unvouched.front();
    return fail(origin, seq,
                absl::StrCat(why, ", and no later record with a valid signature vouches for it"));
  };
  auto vouch = [&](uint64_t by) {
    for (auto& [seq, why] : unvouched) {
      v1::VouchedRecord* v = reply.add_vouched();
      v->set_origin(origin);
      v->set_seq(seq);
      v->set_vouched_by_seq(by);
    }
    unvouched.clear();
  };
  bool open = true;
  RETURN_IF_ERROR(store_->ScanAll([&](const std::string& o, uint64_t seq, const v1::Record& env) {
    if (o != origin) {
      if (!close_origin()) return open = false;
      origin = o;
      expect = 1;
      prev_id.clear();
      reply.set_origins(reply.origins() + 1);
      // Origins outside this node's subtree are held sparsely (only the
      // records that concern it): no gap or chain check, signatures only.
      sparse = !aggregator::InSubtree(o, unit_) || !chained.count(o);
    }
    reply.set_records(reply.records() + 1);
    if (sparse) expect = seq;
    if (seq != expect) return open = fail(o, seq, absl::StrCat("gap: expected seq ", expect));
    auto r = record::Decode(env);
    if (!r.ok()) return open = fail(o, seq, r.status().message());
    if (r->body.origin() != o || r->body.seq() != seq) {
      return open = fail(o, seq, "record body names a different origin or seq than its key");
    }
    if (absl::Status s = sparse ? absl::OkStatus() : record::CheckLink(*r, seq - 1, prev_id);
        !s.ok()) {
      // A record whose signature failed and that the next one does not
      // link to is the one to name.
      if (!unvouched.empty()) {
        return open = fail(o, unvouched.front().first,
                           absl::StrCat(unvouched.front().second,
                                        ", and the next record does not link to it"));
      }
      return open = fail(o, seq, s.message());
    }
    const bool self_enrolment =
        r->body.has_unit_enrolled() && r->body.unit_enrolled().unit() == o;
    absl::Status s = self_enrolment ? trust.Admit(env, *r) : trust.CheckSignature(env, *r);
    const record::Enrolment* revoked = s.ok() ? nullptr : trust.RevokedSigner(env, *r);
    if (revoked != nullptr) {
      v1::RevokedRecord* rr = reply.add_revoked();
      rr->set_origin(o);
      rr->set_seq(seq);
      rr->set_id(r->id);
      rr->set_reason(record::RevocationText(*revoked));
    } else if (s.ok()) {
      vouch(seq);
    } else if (!sparse && s.code() == absl::StatusCode::kUnauthenticated) {
      unvouched.emplace_back(seq, std::string(s.message()));
    } else {
      return open = fail(o, seq, s.message());
    }
    if (!self_enrolment && record::IsTrustRecord(r->body)) {
      // An authentic enrolment that breaks a trust rule grants nothing and
      // stays as evidence, as at ingest (DESIGN §4).
      if (absl::Status a = trust.Admit(env, *r); !a.ok()) {
        reply.add_ineffective_enrolments(absl::StrCat(record::Describe(r->body), ": ", a.message()));
      }
    }
    prev_id = r->id;
    ++expect;
    return true;
  }, [&](const std::string& o, uint64_t seq) {
    return open = fail(o, seq, "the stored envelope does not parse");
  }));
  if (open) close_origin();
  // The ids of vouched records, for the operator to find them.
  for (v1::VouchedRecord& v : *reply.mutable_vouched()) {
    ASSIGN_OR_RETURN(std::optional<v1::Record> env, store_->GetRecord(v.origin(), v.seq()));
    if (env) v.set_id(record::RecordId(*env));
  }
  if (reply.first_bad_origin().empty()) {
    ASSIGN_OR_RETURN(auto heads, store_->Heads());
    for (const auto& [o, h] : heads) {
      ASSIGN_OR_RETURN(std::optional<v1::Record> env, store_->GetRecord(o, h.seq));
      if (!env || record::RecordId(*env) != h.id) {
        fail(o, h.seq, "head does not match the stored record");
        break;
      }
      ASSIGN_OR_RETURN(std::optional<v1::Record> next, store_->GetRecord(o, h.seq + 1));
      if (next) {
        fail(o, h.seq + 1, "record stored beyond the head");
        break;
      }
    }
  }
  reply.set_ok(reply.first_bad_origin().empty());
  return reply;
}

absl::StatusOr<v1::IdentityReply> Node::Identity() const {
  v1::IdentityReply reply;
  reply.set_unit(unit_);
  reply.set_public_key(Key()->public_key());
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    reply.set_root_public_key(trust_.root_public_key());
    if (const record::Enrolment* e = trust_.Find(unit_)) {
      reply.set_name(e->name);
      reply.set_level(e->level);
    }
  }
  ASSIGN_OR_RETURN(store::Head head, store_->GetHead(unit_));
  reply.set_head_seq(head.seq);
  reply.set_head_id(head.id);
  return reply;
}

}  // namespace rectsync::node
