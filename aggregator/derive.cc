#include "aggregator/derive.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "aggregator/fold.h"
#include "aggregator/status_macros.h"

namespace rectsync::aggregator {
namespace {

absl::Status DeriveProblem(const DecodedRecord& r, StateReader& reader, StateChanges* out) {
  const std::string& id = ProblemOf(r.body);
  ASSIGN_OR_RETURN(std::optional<v1::ProblemState> before, reader.Problem(id));
  if (before && HasRecord(*before, r.id)) return absl::OkStatus();
  v1::ProblemState after;
  if (!before) {
    after.set_problem_id(id);
    ApplyToProblem(r, &after);
  } else if (AppliesAtEnd(*before, r)) {
    after = *before;
    ApplyToProblem(r, &after);
  } else {
    // A late record: refold this problem only.
    std::vector<DecodedRecord> records;
    records.reserve(before->history_size());
    for (const v1::RecordRef& ref : before->history()) {
      ASSIGN_OR_RETURN(DecodedRecord old, reader.Record(ref.key()));
      records.push_back(std::move(old));
    }
    std::vector<const DecodedRecord*> all;
    for (const auto& rec : records) all.push_back(&rec);
    all.push_back(&r);
    after = FoldProblem(id, std::move(all));
    out->refolded = true;
  }
  AddProblemDelta(before ? &*before : nullptr, after, &out->rollups);
  out->problems[id] = std::move(after);
  return absl::OkStatus();
}

absl::Status DeriveFigures(const DecodedRecord& r, StateReader& reader, StateChanges* out) {
  const auto& e = r.body.figures_reported();
  const v1::FoldKey key = KeyOf(r.body);
  for (const v1::Figure& f : e.figures()) {
    std::string slot = FigureKey(e.unit(), e.period(), f.indicator());
    std::optional<v1::FigureState> before;
    if (auto it = out->figures.find(slot); it != out->figures.end()) {
      before = it->second;
    } else {
      ASSIGN_OR_RETURN(before, reader.Figure(slot));
    }
    if (before && !FoldLess(before->key(), key)) continue;  // an equal or later report stands
    v1::FigureState after;
    after.set_unit(e.unit());
    after.set_period(e.period());
    after.set_indicator(f.indicator());
    after.set_value(f.value());
    *after.mutable_key() = key;
    after.set_record_id(r.id);
    AddToPath(e.unit(), absl::StrCat("fig/", e.period(), "/", f.indicator()),
              f.value() - (before ? before->value() : 0), &out->rollups);
    out->figures[slot] = std::move(after);
  }
  for (auto& [unit, counters] : out->rollups) Prune(&counters);
  return absl::OkStatus();
}

}  // namespace

std::string FigureKey(const std::string& unit, const std::string& period,
                      const std::string& indicator) {
  return absl::StrCat(unit, "\n", period, "\n", indicator);
}

absl::StatusOr<StateChanges> Derive(const DecodedRecord& r, StateReader& reader) {
  StateChanges out;
  if (!ProblemOf(r.body).empty()) {
    RETURN_IF_ERROR(DeriveProblem(r, reader, &out));
  } else if (r.body.has_figures_reported()) {
    RETURN_IF_ERROR(DeriveFigures(r, reader, &out));
  }
  return out;
}

}  // namespace rectsync::aggregator
