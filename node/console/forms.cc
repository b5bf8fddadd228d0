#include "node/console/forms.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "aggregator/status_macros.h"
#include "node/cli/labels.h"
#include "node/ledger/formats.h"
#include "node/record/keys.h"

namespace rectsync::console {
namespace {

std::string Field(const FormValue& form, const std::string& name) {
  return std::string(absl::StripAsciiWhitespace(form(name)));
}

absl::StatusOr<std::string> Required(const FormValue& form, const std::string& name) {
  std::string v = Field(form, name);
  if (v.empty()) return absl::InvalidArgumentError(absl::StrCat(name, ": required"));
  return v;
}

// A date field: "" or YYYY-MM-DD (and the forms Excel writes).
absl::StatusOr<std::string> Date(const FormValue& form, const std::string& name) {
  absl::StatusOr<std::string> d = ledger::NormalizeDate(Field(form, name));
  if (!d.ok()) return absl::InvalidArgumentError(absl::StrCat(name, ": ", d.status().message()));
  return d;
}

absl::StatusOr<int64_t> Count(const FormValue& form, const std::string& name) {
  absl::StatusOr<int64_t> n = ledger::ParseCount(Field(form, name));
  if (!n.ok()) return absl::InvalidArgumentError(absl::StrCat(name, ": ", n.status().message()));
  return n;
}

bool Checked(const FormValue& form, const std::string& name) {
  const std::string v = Field(form, name);
  return v == "on" || v == "1" || v == "true" || v == "yes";
}

absl::Status ReadOutcomes(const FormValue& form, v1::Outcomes* o) {
  absl::StatusOr<int64_t> fen = ledger::ParseFen(Field(form, "funds_yuan"));
  if (!fen.ok()) return absl::InvalidArgumentError(absl::StrCat("funds_yuan: ", fen.status().message()));
  o->set_funds_recovered_fen(*fen);
  ASSIGN_OR_RETURN(int64_t disciplined, Count(form, "disciplined"));
  ASSIGN_OR_RETURN(int64_t handled, Count(form, "handled"));
  ASSIGN_OR_RETURN(int64_t accountable, Count(form, "accountable"));
  ASSIGN_OR_RETURN(int64_t rules, Count(form, "rules"));
  o->set_people_disciplined(disciplined);
  o->set_people_handled(handled);
  o->set_people_accountable(accountable);
  o->set_rules_made(rules);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::RecordBody> BodyFromForm(const std::string& action, const FormValue& form) {
  v1::RecordBody b;
  if (action == "inspection") {
    auto* e = b.mutable_inspection_opened();
    ASSIGN_OR_RETURN(*e->mutable_inspecting_body(), Required(form, "inspecting_body"));
    ASSIGN_OR_RETURN(*e->mutable_inspected_unit(), Required(form, "inspected_unit"));
    ASSIGN_OR_RETURN(*e->mutable_start_date(), Date(form, "start_date"));
    ASSIGN_OR_RETURN(*e->mutable_end_date(), Date(form, "end_date"));
    ASSIGN_OR_RETURN(*e->mutable_feedback_date(), Date(form, "feedback_date"));
    return b;
  }
  if (action == "problem") {
    auto* e = b.mutable_problem_raised();
    ASSIGN_OR_RETURN(*e->mutable_unit(), Required(form, "unit"));
    e->set_inspection_id(Field(form, "inspection_id"));
    absl::StatusOr<v1::Source> source = cli::ParseSource(Field(form, "source"));
    RETURN_IF_ERROR(source.status());
    e->set_source(*source);
    ASSIGN_OR_RETURN(*e->mutable_category(), Required(form, "category"));
    ASSIGN_OR_RETURN(*e->mutable_title(), Required(form, "title"));
    e->set_detail(Field(form, "detail"));
    ASSIGN_OR_RETURN(*e->mutable_deadline(), Date(form, "deadline"));
    return b;
  }
  // Every other action is about one problem.
  ASSIGN_OR_RETURN(std::string problem, Required(form, "id"));
  if (action == "measure") {
    auto* e = b.mutable_measure_added();
    e->set_problem_id(problem);
    ASSIGN_OR_RETURN(*e->mutable_text(), Required(form, "text"));
    ASSIGN_OR_RETURN(*e->mutable_deadline(), Date(form, "deadline"));
  } else if (action == "progress") {
    auto* e = b.mutable_progress_reported();
    e->set_problem_id(problem);
    e->set_measure_id(Field(form, "measure_id"));
    ASSIGN_OR_RETURN(*e->mutable_note(), Required(form, "note"));
    e->set_measure_done(Checked(form, "measure_done"));
    if (e->measure_done() && e->measure_id().empty()) {
      return absl::InvalidArgumentError("measure_done: choose the measure that is carried out");
    }
    RETURN_IF_ERROR(ReadOutcomes(form, e->mutable_outcomes()));
  } else if (action == "claim") {
    auto* e = b.mutable_completion_claimed();
    e->set_problem_id(problem);
    ASSIGN_OR_RETURN(v1::ClaimKind kind, cli::ParseClaimKind(Field(form, "kind")));
    e->set_kind(kind);
    e->set_note(Field(form, "note"));
  } else if (action == "review") {
    auto* e = b.mutable_claim_reviewed();
    e->set_problem_id(problem);
    ASSIGN_OR_RETURN(std::string claim_hex, Required(form, "claim"));
    ASSIGN_OR_RETURN(*e->mutable_claim_record_id(), record::FromHex(claim_hex, "claim"));
    const std::string verdict = Field(form, "verdict");
    if (verdict != "accept" && verdict != "reject") {
      return absl::InvalidArgumentError("verdict: must be accept or reject");
    }
    e->set_accepted(verdict == "accept");
    e->set_note(Field(form, "note"));
    if (!e->accepted() && e->note().empty()) {
      return absl::InvalidArgumentError("note: say why the claim is sent back");
    }
  } else if (action == "close") {
    b.mutable_problem_closed()->set_problem_id(problem);
    b.mutable_problem_closed()->set_note(Field(form, "note"));
  } else if (action == "reopen") {
    b.mutable_problem_reopened()->set_problem_id(problem);
    ASSIGN_OR_RETURN(*b.mutable_problem_reopened()->mutable_reason(), Required(form, "reason"));
  } else if (action == "amend") {
    auto* e = b.mutable_problem_amended();
    e->set_problem_id(problem);
    ASSIGN_OR_RETURN(std::string deadline, Date(form, "deadline"));
    if (!deadline.empty()) e->set_deadline(deadline);
    if (std::string v = Field(form, "title"); !v.empty()) e->set_title(v);
    if (std::string v = Field(form, "category"); !v.empty()) e->set_category(v);
    if (std::string v = Field(form, "unit"); !v.empty()) e->set_unit(v);
    ASSIGN_OR_RETURN(*e->mutable_reason(), Required(form, "reason"));
    if (!e->has_deadline() && !e->has_title() && !e->has_category() && !e->has_unit()) {
      return absl::InvalidArgumentError("amend: change at least one of deadline, title, category, unit");
    }
  } else {
    return absl::InvalidArgumentError(absl::StrCat("action \"", action, "\" is not one the console knows"));
  }
  return b;
}

absl::Status CheckRole(Role role, const v1::RecordBody& body) {
  bool allowed = false;
  const char* needs = "";
  switch (body.event_case()) {
    case v1::RecordBody::kInspectionOpened:
    case v1::RecordBody::kProblemRaised:
    case v1::RecordBody::kMeasureAdded:
    case v1::RecordBody::kProgressReported:
    case v1::RecordBody::kCompletionClaimed:
    case v1::RecordBody::kFiguresReported:
      allowed = CanWrite(role);
      needs = "clerk or admin";
      break;
    case v1::RecordBody::kClaimReviewed:
    case v1::RecordBody::kProblemClosed:
    case v1::RecordBody::kProblemReopened:
    case v1::RecordBody::kProblemAmended:
      allowed = CanReview(role);
      needs = "reviewer or admin";
      break;
    case v1::RecordBody::kUnitEnrolled:
      return absl::PermissionDeniedError("enrolments are written with `rectsync enroll`, not from the console");
    case v1::RecordBody::kKeyRevoked:
      return absl::PermissionDeniedError("keys are revoked with `rectsync key revoke`, not from the console");
    case v1::RecordBody::kSummaryAttested:
      return absl::PermissionDeniedError("attestations are written by the node itself");
    default:
      return absl::InvalidArgumentError("the record carries no event");
  }
  if (!allowed) {
    return absl::PermissionDeniedError(absl::StrCat("an officer in role ", RoleName(role),
                                                    " may not write this record (needs ", needs, ")"));
  }
  return absl::OkStatus();
}

}  // namespace rectsync::console
