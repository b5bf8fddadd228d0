#include "aggregator/validate.h"

#include "absl/strings/str_cat.h"
#include "aggregator/date.h"
#include "aggregator/status_macros.h"
#include "aggregator/unit_id.h"

namespace rectsync::aggregator {
namespace {

absl::Status Bad(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

absl::Status Text(absl::string_view field, const std::string& s, size_t max, bool required) {
  if (required && s.empty()) return Bad(field, "must not be empty");
  if (s.size() > max) return Bad(field, absl::StrCat("is longer than ", max, " bytes"));
  return absl::OkStatus();
}

absl::Status OptionalDate(absl::string_view field, const std::string& s) {
  if (s.empty()) return absl::OkStatus();
  return ParseDate(s, field).status();
}

// Ids an origin creates must be "<origin>:<local>".
absl::Status CreatedId(absl::string_view field, const std::string& id, const std::string& origin) {
  RETURN_IF_ERROR(ValidateLocalId(id, field));
  if (IdOrigin(id) != origin) {
    return Bad(field, absl::StrCat("id \"", id, "\" must start with the writing unit \"", origin,
                                   ":\""));
  }
  return absl::OkStatus();
}

absl::Status Outcomes(absl::string_view field, const v1::Outcomes& o) {
  const std::pair<const char*, int64_t> parts[] = {
      {"funds_recovered_fen", o.funds_recovered_fen()},
      {"people_disciplined", o.people_disciplined()},
      {"people_handled", o.people_handled()},
      {"people_accountable", o.people_accountable()},
      {"rules_made", o.rules_made()}};
  for (const auto& [name, v] : parts) {
    if (v < 0) return Bad(absl::StrCat(field, ".", name), "must not be negative");
    if (v > (int64_t{1} << 50)) return Bad(absl::StrCat(field, ".", name), "is implausibly large");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateEvent(const v1::RecordBody& b) {
  const std::string& origin = b.origin();
  switch (b.event_case()) {
    case v1::RecordBody::kUnitEnrolled: {
      const auto& e = b.unit_enrolled();
      RETURN_IF_ERROR(ValidateUnitId(e.unit(), "unit_enrolled.unit"));
      RETURN_IF_ERROR(Text("unit_enrolled.name", e.name(), 200, true));
      if (e.level() == v1::LEVEL_UNSPECIFIED || !v1::Level_IsValid(e.level())) {
        return Bad("unit_enrolled.level", "must be a known level");
      }
      if (e.public_key().size() != 32) return Bad("unit_enrolled.public_key", "must be 32 bytes");
      if (e.valid_from_ms() < 0) return Bad("unit_enrolled.valid_from_ms", "must not be negative");
      if (e.valid_until_ms() != 0 && e.valid_until_ms() <= e.valid_from_ms()) {
        return Bad("unit_enrolled.valid_until_ms", "must be after valid_from_ms");
      }
      // The root enrols itself; everyone else enrols strictly below itself.
      if (e.unit() != origin && !StrictlyBelow(e.unit(), origin)) {
        return Bad("unit_enrolled.unit",
                   absl::StrCat("\"", e.unit(), "\" is not in the subtree of \"", origin, "\""));
      }
      return absl::OkStatus();
    }
    case v1::RecordBody::kInspectionOpened: {
      const auto& e = b.inspection_opened();
      RETURN_IF_ERROR(CreatedId("inspection_opened.inspection_id", e.inspection_id(), origin));
      RETURN_IF_ERROR(Text("inspection_opened.inspecting_body", e.inspecting_body(), kMaxTitle, true));
      RETURN_IF_ERROR(ValidateUnitId(e.inspected_unit(), "inspection_opened.inspected_unit"));
      RETURN_IF_ERROR(ParseDate(e.start_date(), "inspection_opened.start_date").status());
      RETURN_IF_ERROR(OptionalDate("inspection_opened.end_date", e.end_date()));
      RETURN_IF_ERROR(OptionalDate("inspection_opened.feedback_date", e.feedback_date()));
      if (!e.end_date().empty() && e.end_date() < e.start_date()) {
        return Bad("inspection_opened.end_date", "is before start_date");
      }
      return absl::OkStatus();
    }
    case v1::RecordBody::kProblemRaised: {
      const auto& e = b.problem_raised();
      RETURN_IF_ERROR(CreatedId("problem_raised.problem_id", e.problem_id(), origin));
      RETURN_IF_ERROR(ValidateUnitId(e.unit(), "problem_raised.unit"));
      if (!e.inspection_id().empty()) {
        RETURN_IF_ERROR(ValidateLocalId(e.inspection_id(), "problem_raised.inspection_id"));
      }
      if (e.source() == v1::SOURCE_UNSPECIFIED || !v1::Source_IsValid(e.source())) {
        return Bad("problem_raised.source", "must be a known source");
      }
      RETURN_IF_ERROR(Text("problem_raised.category", e.category(), 100, true));
      RETURN_IF_ERROR(Text("problem_raised.title", e.title(), kMaxTitle, true));
      RETURN_IF_ERROR(Text("problem_raised.detail", e.detail(), kMaxText, false));
      return OptionalDate("problem_raised.deadline", e.deadline());
    }
    case v1::RecordBody::kMeasureAdded: {
      const auto& e = b.measure_added();
      RETURN_IF_ERROR(ValidateLocalId(e.problem_id(), "measure_added.problem_id"));
      RETURN_IF_ERROR(CreatedId("measure_added.measure_id", e.measure_id(), origin));
      RETURN_IF_ERROR(Text("measure_added.text", e.text(), kMaxText, true));
      return OptionalDate("measure_added.deadline", e.deadline());
    }
    case v1::RecordBody::kProgressReported: {
      const auto& e = b.progress_reported();
      RETURN_IF_ERROR(ValidateLocalId(e.problem_id(), "progress_reported.problem_id"));
      if (!e.measure_id().empty()) {
        RETURN_IF_ERROR(ValidateLocalId(e.measure_id(), "progress_reported.measure_id"));
      } else if (e.measure_done()) {
        return Bad("progress_reported.measure_done", "needs a measure_id");
      }
      RETURN_IF_ERROR(Text("progress_reported.note", e.note(), kMaxText, true));
      for (const auto& d : e.evidence_digests()) {
        if (d.size() != 32) return Bad("progress_reported.evidence_digests", "each must be 32 bytes");
      }
      return Outcomes("progress_reported.outcomes", e.outcomes());
    }
    case v1::RecordBody::kCompletionClaimed: {
      const auto& e = b.completion_claimed();
      RETURN_IF_ERROR(ValidateLocalId(e.problem_id(), "completion_claimed.problem_id"));
      if (e.kind() == v1::CLAIM_KIND_UNSPECIFIED || !v1::ClaimKind_IsValid(e.kind())) {
        return Bad("completion_claimed.kind", "must be completed, basically completed or long-term");
      }
      return Text("completion_claimed.note", e.note(), kMaxText, false);
    }
    case v1::RecordBody::kClaimReviewed: {
      const auto& e = b.claim_reviewed();
      RETURN_IF_ERROR(ValidateLocalId(e.problem_id(), "claim_reviewed.problem_id"));
      if (e.claim_record_id().size() != 32) {
        return Bad("claim_reviewed.claim_record_id", "must be a 32-byte record id");
      }
      if (!e.accepted() && e.note().empty()) {
        return Bad("claim_reviewed.note", "a rejection must say why");
      }
      return Text("claim_reviewed.note", e.note(), kMaxText, false);
    }
    case v1::RecordBody::kProblemClosed:
      RETURN_IF_ERROR(ValidateLocalId(b.problem_closed().problem_id(), "problem_closed.problem_id"));
      return Text("problem_closed.note", b.problem_closed().note(), kMaxText, false);
    case v1::RecordBody::kProblemReopened:
      RETURN_IF_ERROR(
          ValidateLocalId(b.problem_reopened().problem_id(), "problem_reopened.problem_id"));
      return Text("problem_reopened.reason", b.problem_reopened().reason(), kMaxText, true);
    case v1::RecordBody::kProblemAmended: {
      const auto& e = b.problem_amended();
      RETURN_IF_ERROR(ValidateLocalId(e.problem_id(), "problem_amended.problem_id"));
      if (!e.has_deadline() && !e.has_title() && !e.has_category() && !e.has_unit()) {
        return Bad("problem_amended", "changes nothing");
      }
      if (e.has_deadline()) RETURN_IF_ERROR(OptionalDate("problem_amended.deadline", e.deadline()));
      if (e.has_title()) RETURN_IF_ERROR(Text("problem_amended.title", e.title(), kMaxTitle, true));
      if (e.has_category()) {
        RETURN_IF_ERROR(Text("problem_amended.category", e.category(), 100, true));
      }
      if (e.has_unit()) RETURN_IF_ERROR(ValidateUnitId(e.unit(), "problem_amended.unit"));
      return Text("problem_amended.reason", e.reason(), kMaxText, false);
    }
    case v1::RecordBody::kFiguresReported: {
      const auto& e = b.figures_reported();
      RETURN_IF_ERROR(ValidateUnitId(e.unit(), "figures_reported.unit"));
      if (!InSubtree(e.unit(), origin)) {
        return Bad("figures_reported.unit",
                   absl::StrCat("\"", e.unit(), "\" is not in the subtree of \"", origin, "\""));
      }
      RETURN_IF_ERROR(ValidatePeriod(e.period(), "figures_reported.period"));
      if (e.figures().empty()) return Bad("figures_reported.figures", "must not be empty");
      for (const auto& f : e.figures()) {
        RETURN_IF_ERROR(Text("figures_reported.figures.indicator", f.indicator(), 100, true));
        if (f.indicator().find('\n') != std::string::npos) {
          return Bad("figures_reported.figures.indicator", "must be one line");
        }
        if (f.value() < 0) {
          return Bad(absl::StrCat("figures_reported.figures[", f.indicator(), "]"),
                     "must not be negative");
        }
      }
      return absl::OkStatus();
    }
    case v1::RecordBody::kSummaryAttested: {
      const auto& e = b.summary_attested();
      RETURN_IF_ERROR(ValidateUnitId(e.unit(), "summary_attested.unit"));
      if (!InSubtree(e.unit(), origin)) {
        return Bad("summary_attested.unit", "must be in the attesting unit's subtree");
      }
      for (const auto& f : e.frontier()) {
        RETURN_IF_ERROR(ValidateUnitId(f.origin(), "summary_attested.frontier.origin"));
        if (f.seq() == 0 || f.head().size() != 32) {
          return Bad("summary_attested.frontier", "entries need seq >= 1 and a 32-byte head");
        }
      }
      if (e.frontier_base() >= b.seq()) {
        return Bad("summary_attested.frontier_base", "must name an earlier record of the attesting unit");
      }
      return absl::OkStatus();
    }
    case v1::RecordBody::kKeyRevoked: {
      const auto& e = b.key_revoked();
      RETURN_IF_ERROR(ValidateUnitId(e.unit(), "key_revoked.unit"));
      if (!StrictlyBelow(e.unit(), origin)) {
        return Bad("key_revoked.unit", absl::StrCat("\"", e.unit(), "\" is not below \"", origin,
                                                    "\": only a unit above revokes a key"));
      }
      if (e.public_key().size() != 32) return Bad("key_revoked.public_key", "must be 32 bytes");
      if (e.from_ms() <= 0) return Bad("key_revoked.from_ms", "must be set");
      RETURN_IF_ERROR(Text("key_revoked.reason", e.reason(), kMaxTitle, true));
      return absl::OkStatus();
    }
    case v1::RecordBody::EVENT_NOT_SET:
      break;
  }
  return Bad("event", "the record carries no event");
}

absl::Status ValidateBody(const v1::RecordBody& b) {
  RETURN_IF_ERROR(ValidateUnitId(b.origin(), "origin"));
  if (b.seq() == 0) return Bad("seq", "must be 1 or more");
  if (b.seq() == 1 ? !b.prev().empty() : b.prev().size() != 32) {
    return Bad("prev", b.seq() == 1 ? "must be empty for seq 1" : "must be a 32-byte record id");
  }
  if (b.hlc() == 0) return Bad("hlc", "must be set");
  RETURN_IF_ERROR(Text("author", b.author(), kMaxAuthor, true));
  return ValidateEvent(b);
}

}  // namespace rectsync::aggregator
