#include "aggregator/fold.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "aggregator/date.h"
#include "aggregator/unit_id.h"

namespace rectsync::aggregator {
namespace {

void Violate(const DecodedRecord& r, std::string reason, v1::ProblemState* s) {
  v1::Violation* v = s->add_violations();
  *v->mutable_record() = RefOf(r);
  v->set_reason(std::move(reason));
}

v1::Measure* FindMeasure(v1::ProblemState* s, const std::string& id) {
  for (auto& m : *s->mutable_measures()) {
    if (m.measure_id() == id) return &m;
  }
  return nullptr;
}

void StartWork(v1::ProblemState* s) {
  if (s->status() == v1::STATUS_OPEN) s->set_status(v1::STATUS_IN_PROGRESS);
}

// Work on the problem: the responsible unit or a unit below it.
bool MayWork(const std::string& origin, const v1::ProblemState& s) {
  return InSubtree(origin, s.unit());
}
// Judgement on the problem: a strict ancestor of the responsible unit.
bool MayJudge(const std::string& origin, const v1::ProblemState& s) {
  return StrictlyBelow(s.unit(), origin);
}

// Last-writer-wins for an amendable field: higher authority (fewer segments)
// first, then fold order, which is the order records arrive here in.
bool WinsField(const std::string& field, const v1::RecordBody& b, v1::ProblemState* s) {
  uint32_t depth = UnitDepth(b.origin());
  for (auto& st : *s->mutable_stamps()) {
    if (st.field() != field) continue;
    if (depth > st.depth()) return false;
    st.set_depth(depth);
    st.set_hlc(b.hlc());
    st.set_origin(b.origin());
    return true;
  }
  v1::FieldStamp* st = s->add_stamps();
  st->set_field(field);
  st->set_depth(depth);
  st->set_hlc(b.hlc());
  st->set_origin(b.origin());
  return true;
}

void ApplyRaised(const DecodedRecord& r, v1::ProblemState* s) {
  const auto& e = r.body.problem_raised();
  if (s->raised()) return Violate(r, "problem id already raised by an earlier record", s);
  if (!InSubtree(e.unit(), r.body.origin())) {
    return Violate(r, absl::StrCat("a unit may raise problems only in its own subtree; \"",
                                   e.unit(), "\" is outside \"", r.body.origin(), "\""), s);
  }
  s->set_raised(true);
  s->set_unit(e.unit());
  s->set_raiser(r.body.origin());
  s->set_inspection_id(e.inspection_id());
  s->set_source(e.source());
  s->set_category(e.category());
  s->set_title(e.title());
  s->set_detail(e.detail());
  s->set_deadline(e.deadline());
  s->set_status(v1::STATUS_OPEN);
}

void ApplyEvent(const DecodedRecord& r, v1::ProblemState* s) {
  const v1::RecordBody& b = r.body;
  const std::string& origin = b.origin();
  if (b.event_case() == v1::RecordBody::kProblemRaised) return ApplyRaised(r, s);
  if (!s->raised()) return Violate(r, "no ProblemRaised precedes this record", s);
  const bool closed = s->status() == v1::STATUS_CLOSED;

  switch (b.event_case()) {
    case v1::RecordBody::kMeasureAdded: {
      const auto& e = b.measure_added();
      if (!MayWork(origin, *s)) return Violate(r, "only the responsible unit adds measures", s);
      if (closed) return Violate(r, "problem is closed (已销号)", s);
      if (FindMeasure(s, e.measure_id())) return Violate(r, "measure id already used", s);
      v1::Measure* m = s->add_measures();
      m->set_measure_id(e.measure_id());
      m->set_text(e.text());
      m->set_deadline(e.deadline());
      return StartWork(s);
    }
    case v1::RecordBody::kProgressReported: {
      const auto& e = b.progress_reported();
      if (!MayWork(origin, *s)) return Violate(r, "only the responsible unit reports progress", s);
      if (closed) return Violate(r, "problem is closed (已销号)", s);
      v1::Measure* m = nullptr;
      if (!e.measure_id().empty() && !(m = FindMeasure(s, e.measure_id()))) {
        return Violate(r, absl::StrCat("names unknown measure \"", e.measure_id(), "\""), s);
      }
      if (m && e.measure_done()) m->set_done(true);
      v1::Outcomes* o = s->mutable_outcomes();
      o->set_funds_recovered_fen(o->funds_recovered_fen() + e.outcomes().funds_recovered_fen());
      o->set_people_disciplined(o->people_disciplined() + e.outcomes().people_disciplined());
      o->set_people_handled(o->people_handled() + e.outcomes().people_handled());
      o->set_people_accountable(o->people_accountable() + e.outcomes().people_accountable());
      o->set_rules_made(o->rules_made() + e.outcomes().rules_made());
      s->set_progress_reports(s->progress_reports() + 1);
      return StartWork(s);
    }
    case v1::RecordBody::kCompletionClaimed: {
      if (origin != s->unit()) return Violate(r, "only the responsible unit claims completion", s);
      if (s->status() == v1::STATUS_CLAIMED) return Violate(r, "a claim is already pending", s);
      if (s->status() == v1::STATUS_ACCEPTED || closed) {
        return Violate(r, "problem is already accepted or closed", s);
      }
      v1::Claim* c = s->add_claims();
      *c->mutable_record() = RefOf(r);
      c->set_kind(b.completion_claimed().kind());
      c->set_verdict(v1::VERDICT_PENDING);
      s->set_status(v1::STATUS_CLAIMED);
      return;
    }
    case v1::RecordBody::kClaimReviewed: {
      const auto& e = b.claim_reviewed();
      if (!MayJudge(origin, *s)) {
        return Violate(r, "only an ancestor of the responsible unit reviews claims", s);
      }
      v1::Claim* claim = nullptr;
      for (auto& c : *s->mutable_claims()) {
        if (c.record().id() == e.claim_record_id()) claim = &c;
      }
      if (!claim) return Violate(r, "names no claim of this problem", s);
      if (claim->verdict() != v1::VERDICT_PENDING) {
        return Violate(r, "the named claim was already reviewed", s);
      }
      claim->set_verdict(e.accepted() ? v1::VERDICT_ACCEPTED : v1::VERDICT_REJECTED);
      claim->set_review_id(r.id);
      claim->set_reviewer(origin);
      s->set_status(e.accepted() ? v1::STATUS_ACCEPTED : v1::STATUS_IN_PROGRESS);
      return;
    }
    case v1::RecordBody::kProblemClosed:
      if (!MayJudge(origin, *s)) return Violate(r, "only an ancestor closes a problem (销号)", s);
      if (s->status() != v1::STATUS_ACCEPTED) {
        return Violate(r, "closing needs an accepted claim (已验收)", s);
      }
      s->set_status(v1::STATUS_CLOSED);
      s->set_close_id(r.id);
      return;
    case v1::RecordBody::kProblemReopened:
      if (!MayJudge(origin, *s)) return Violate(r, "only an ancestor reopens a problem (回头看)", s);
      if (s->status() != v1::STATUS_ACCEPTED && !closed) {
        return Violate(r, "only an accepted or closed problem can be reopened", s);
      }
      s->set_status(v1::STATUS_IN_PROGRESS);
      s->set_reopen_count(s->reopen_count() + 1);
      s->clear_close_id();
      return;
    case v1::RecordBody::kProblemAmended: {
      const auto& e = b.problem_amended();
      if (origin != s->raiser() && !MayJudge(origin, *s)) {
        return Violate(r, "only the raiser or an ancestor amends a problem", s);
      }
      if (e.has_unit() && !InSubtree(e.unit(), origin)) {
        return Violate(r, absl::StrCat("new responsible unit \"", e.unit(),
                                       "\" is outside the amending unit's subtree"), s);
      }
      if (e.has_deadline() && WinsField("deadline", b, s)) s->set_deadline(e.deadline());
      if (e.has_title() && WinsField("title", b, s)) s->set_title(e.title());
      if (e.has_category() && WinsField("category", b, s)) s->set_category(e.category());
      if (e.has_unit() && WinsField("unit", b, s)) s->set_unit(e.unit());
      return;
    }
    default:
      return;
  }
}

}  // namespace

void ApplyToProblem(const DecodedRecord& r, v1::ProblemState* s) {
  if (ProblemOf(r.body) != s->problem_id()) return;
  *s->add_history() = RefOf(r);
  ApplyEvent(r, s);
}

v1::ProblemState FoldProblem(const std::string& problem_id,
                             std::vector<const DecodedRecord*> records) {
  std::sort(records.begin(), records.end(), [](const DecodedRecord* a, const DecodedRecord* b) {
    return std::make_tuple(a->body.hlc(), std::cref(a->body.origin()), a->body.seq(),
                           std::cref(a->id)) <
           std::make_tuple(b->body.hlc(), std::cref(b->body.origin()), b->body.seq(),
                           std::cref(b->id));
  });
  v1::ProblemState s;
  s.set_problem_id(problem_id);
  const std::string* last_id = nullptr;
  for (const DecodedRecord* r : records) {
    if (last_id && *last_id == r->id) continue;
    last_id = &r->id;
    ApplyToProblem(*r, &s);
  }
  return s;
}

bool AppliesAtEnd(const v1::ProblemState& s, const DecodedRecord& r) {
  if (s.history().empty()) return true;
  return FoldLess(s.history(s.history_size() - 1).key(), KeyOf(r.body));
}

bool HasRecord(const v1::ProblemState& s, const std::string& id) {
  for (const auto& h : s.history()) {
    if (h.id() == id) return true;
  }
  return false;
}

v1::ClaimKind CurrentClaimKind(const v1::ProblemState& s) {
  return s.claims().empty() ? v1::CLAIM_KIND_UNSPECIFIED : s.claims().rbegin()->kind();
}

bool Colourable(const v1::ProblemState& s) {
  if (!s.raised()) return false;
  switch (s.status()) {
    case v1::STATUS_OPEN:
    case v1::STATUS_IN_PROGRESS:
      return true;
    case v1::STATUS_CLAIMED:
      return CurrentClaimKind(s) != v1::CLAIM_LONG_TERM;
    default:
      return false;  // accepted, closed: the deadline no longer runs
  }
}

std::string Colour(const v1::ProblemState& s, int64_t today, int yellow_days) {
  if (!Colourable(s) || s.deadline().empty()) return "";
  auto due = ParseDate(s.deadline());
  if (!due.ok()) return "";
  if (*due < today) return "red";
  if (*due - today <= yellow_days) return "yellow";
  return "green";
}

const char* StatusKey(v1::Status s) {
  switch (s) {
    case v1::STATUS_OPEN: return "open";
    case v1::STATUS_IN_PROGRESS: return "in_progress";
    case v1::STATUS_CLAIMED: return "claimed";
    case v1::STATUS_ACCEPTED: return "accepted";
    case v1::STATUS_CLOSED: return "closed";
    default: return "unknown";
  }
}

const char* SourceKey(v1::Source s) {
  switch (s) {
    case v1::SOURCE_INSPECTION: return "inspection";
    case v1::SOURCE_VISIT: return "visit";
    case v1::SOURCE_PETITION: return "petition";
    case v1::SOURCE_AUDIT: return "audit";
    case v1::SOURCE_SELF_CHECK: return "self_check";
    default: return "unknown";
  }
}

const char* ClaimKindKey(v1::ClaimKind k) {
  switch (k) {
    case v1::CLAIM_COMPLETED: return "completed";
    case v1::CLAIM_BASICALLY_COMPLETED: return "basically_completed";
    case v1::CLAIM_LONG_TERM: return "long_term";
    default: return "none";
  }
}

}  // namespace rectsync::aggregator
