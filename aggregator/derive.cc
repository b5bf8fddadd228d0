#include "aggregator/derive.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "aggregator/fold.h"
#include "aggregator/status_macros.h"

namespace rectsync::aggregator {

std::string FigureKey(const std::string& unit, const std::string& period,
                      const std::string& indicator) {
  return absl::StrCat(unit, "\n", period, "\n", indicator);
}

absl::StatusOr<Derivation::ProblemSlot*> Derivation::LoadProblem(const std::string& id) {
  auto it = problems_.find(id);
  if (it == problems_.end()) {
    ASSIGN_OR_RETURN(std::optional<v1::ProblemState> held, reader_.Problem(id));
    it = problems_.emplace(id, ProblemSlot{held, held}).first;
  }
  return &it->second;
}

absl::Status Derivation::AddProblem(const DecodedRecord& r, ProblemSlot* slot) {
  std::optional<v1::ProblemState>& state = slot->now;
  if (state && HasRecord(*state, r.id)) return absl::OkStatus();
  slot->changed = true;
  if (!state) {
    state.emplace();
    state->set_problem_id(ProblemOf(r.body));
    ApplyToProblem(r, &*state);
    return absl::OkStatus();
  }
  if (AppliesAtEnd(*state, r)) {
    ApplyToProblem(r, &*state);
    return absl::OkStatus();
  }
  // A late record: refold this problem only.
  std::vector<DecodedRecord> read;
  std::vector<const DecodedRecord*> all;
  read.reserve(state->history_size());
  for (const v1::RecordRef& ref : state->history()) {
    if (auto it = added_.find({ref.key().origin(), ref.key().seq()}); it != added_.end()) {
      all.push_back(it->second);
      continue;
    }
    ASSIGN_OR_RETURN(DecodedRecord old, reader_.Record(ref.key()));
    read.push_back(std::move(old));
    all.push_back(&read.back());
  }
  all.push_back(&r);
  *state = FoldProblem(state->problem_id(), std::move(all));
  return absl::OkStatus();
}

absl::Status Derivation::AddFigures(const DecodedRecord& r) {
  const auto& e = r.body.figures_reported();
  const v1::FoldKey key = KeyOf(r.body);
  for (const v1::Figure& f : e.figures()) {
    std::string slot_key = FigureKey(e.unit(), e.period(), f.indicator());
    auto it = figures_.find(slot_key);
    if (it == figures_.end()) {
      ASSIGN_OR_RETURN(std::optional<v1::FigureState> held, reader_.Figure(slot_key));
      it = figures_.emplace(std::move(slot_key), FigureSlot{held, held}).first;
    }
    std::optional<v1::FigureState>& now = it->second.now;
    if (now && !FoldLess(now->key(), key)) continue;  // an equal or later report stands
    it->second.changed = true;
    now.emplace();
    now->set_unit(e.unit());
    now->set_period(e.period());
    now->set_indicator(f.indicator());
    now->set_value(f.value());
    *now->mutable_key() = key;
    now->set_record_id(r.id);
  }
  return absl::OkStatus();
}

absl::StatusOr<const v1::ProblemState*> Derivation::Add(const DecodedRecord& r) {
  added_[{r.body.origin(), r.body.seq()}] = &r;
  if (const std::string& id = ProblemOf(r.body); !id.empty()) {
    ASSIGN_OR_RETURN(ProblemSlot * slot, LoadProblem(id));
    RETURN_IF_ERROR(AddProblem(r, slot));
    return &*slot->now;
  }
  if (r.body.has_figures_reported()) RETURN_IF_ERROR(AddFigures(r));
  return nullptr;
}

StateChanges Derivation::Finish() && {
  StateChanges out;
  for (auto& [id, slot] : problems_) {
    if (!slot.changed) continue;  // read, never changed (a duplicate)
    AddProblemDelta(slot.before ? &*slot.before : nullptr, *slot.now, &out.rollups);
    out.problems.emplace(id, StateChanges::Problem{std::move(slot.before), *std::move(slot.now)});
  }
  for (auto& [key, slot] : figures_) {
    if (!slot.changed) continue;
    const v1::FigureState& f = *slot.now;
    AddToPath(f.unit(), absl::StrCat("fig/", f.period(), "/", f.indicator()),
              f.value() - (slot.before ? slot.before->value() : 0), &out.rollups);
    out.figures.emplace(key, *std::move(slot.now));
  }
  for (auto& [unit, counters] : out.rollups) Prune(&counters);
  return out;
}

absl::StatusOr<StateChanges> Derive(const DecodedRecord& record, StateReader& reader) {
  Derivation d(reader);
  RETURN_IF_ERROR(d.Add(record).status());
  return std::move(d).Finish();
}

}  // namespace rectsync::aggregator
