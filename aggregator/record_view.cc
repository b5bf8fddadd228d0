#include "aggregator/record_view.h"

namespace rectsync::aggregator {

v1::FoldKey KeyOf(const v1::RecordBody& body) {
  v1::FoldKey k;
  k.set_hlc(body.hlc());
  k.set_origin(body.origin());
  k.set_seq(body.seq());
  return k;
}

v1::RecordRef RefOf(const DecodedRecord& r) {
  v1::RecordRef ref;
  *ref.mutable_key() = KeyOf(r.body);
  ref.set_id(r.id);
  return ref;
}

const std::string& ProblemOf(const v1::RecordBody& b) {
  static const std::string kNone;
  switch (b.event_case()) {
    case v1::RecordBody::kProblemRaised: return b.problem_raised().problem_id();
    case v1::RecordBody::kMeasureAdded: return b.measure_added().problem_id();
    case v1::RecordBody::kProgressReported: return b.progress_reported().problem_id();
    case v1::RecordBody::kCompletionClaimed: return b.completion_claimed().problem_id();
    case v1::RecordBody::kClaimReviewed: return b.claim_reviewed().problem_id();
    case v1::RecordBody::kProblemClosed: return b.problem_closed().problem_id();
    case v1::RecordBody::kProblemReopened: return b.problem_reopened().problem_id();
    case v1::RecordBody::kProblemAmended: return b.problem_amended().problem_id();
    default: return kNone;
  }
}

const char* EventName(const v1::RecordBody& b) {
  switch (b.event_case()) {
    case v1::RecordBody::kUnitEnrolled: return "UnitEnrolled";
    case v1::RecordBody::kInspectionOpened: return "InspectionOpened";
    case v1::RecordBody::kProblemRaised: return "ProblemRaised";
    case v1::RecordBody::kMeasureAdded: return "MeasureAdded";
    case v1::RecordBody::kProgressReported: return "ProgressReported";
    case v1::RecordBody::kCompletionClaimed: return "CompletionClaimed";
    case v1::RecordBody::kClaimReviewed: return "ClaimReviewed";
    case v1::RecordBody::kProblemClosed: return "ProblemClosed";
    case v1::RecordBody::kProblemReopened: return "ProblemReopened";
    case v1::RecordBody::kProblemAmended: return "ProblemAmended";
    case v1::RecordBody::kFiguresReported: return "FiguresReported";
    case v1::RecordBody::kSummaryAttested: return "SummaryAttested";
    case v1::RecordBody::kKeyRevoked: return "KeyRevoked";
    case v1::RecordBody::EVENT_NOT_SET: break;
  }
  return "None";
}

}  // namespace rectsync::aggregator
