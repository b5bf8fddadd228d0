#include "aggregator/replica.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "aggregator/status_macros.h"
#include "aggregator/unit_id.h"

namespace rectsync::aggregator {

absl::Status Replica::Add(const DecodedRecord& r) {
  auto key = std::make_tuple(r.body.origin(), r.body.seq());
  if (records_.count(key)) return absl::OkStatus();
  ASSIGN_OR_RETURN(StateChanges changes, Derive(r, *this));
  records_.emplace(key, r);
  for (auto& [id, change] : changes.problems) problems_[id] = std::move(change.after);
  for (auto& [k, state] : changes.figures) figures_[k] = std::move(state);
  for (const auto& [unit, delta] : changes.rollups) {
    Counters& c = rollups_[unit];
    Accumulate(delta, &c);
    Prune(&c);
    if (c.empty()) rollups_.erase(unit);
  }
  return absl::OkStatus();
}

std::string Replica::Serialize() const {
  std::string out;
  for (const auto& [id, state] : problems_) {
    std::string bytes;
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    state.SerializeToCodedStream(&coded);
    coded.Trim();
    absl::StrAppend(&out, "P ", id, " ", bytes.size(), "\n", bytes, "\n");
  }
  for (const auto& [k, f] : figures_) {
    absl::StrAppend(&out, "F ", k, " ", f.value(), "\n");
  }
  for (const auto& [unit, counters] : rollups_) {
    for (const auto& [k, v] : counters) absl::StrAppend(&out, "R ", unit, " ", k, " ", v, "\n");
  }
  return out;
}

v1::Summary Replica::Summary(const std::string& unit, int64_t today,
                             const SummaryOptions& options) const {
  static const Counters kEmpty;
  auto it = rollups_.find(unit);
  v1::Summary s = Summarize(unit, it == rollups_.end() ? kEmpty : it->second, today, options);
  // Descendants are the keys starting with "<unit>/". They are contiguous, but
  // not directly after `unit`: '-' sorts before '/', so "<unit>-x" (not in the
  // subtree) can come first.
  const std::string prefix = absl::StrCat(unit, "/");
  for (auto c = rollups_.lower_bound(prefix);
       c != rollups_.end() && absl::StartsWith(c->first, prefix); ++c) {
    if (ParentUnit(c->first) == unit) *s.add_children() = Summarize(c->first, c->second, today, options);
  }
  return s;
}

absl::StatusOr<std::optional<v1::ProblemState>> Replica::Problem(const std::string& id) {
  auto it = problems_.find(id);
  if (it == problems_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<DecodedRecord> Replica::Record(const v1::FoldKey& key) {
  auto it = records_.find(std::make_tuple(key.origin(), key.seq()));
  if (it == records_.end()) {
    return absl::NotFoundError(absl::StrCat("record ", key.origin(), "#", key.seq()));
  }
  return it->second;
}

absl::StatusOr<std::optional<v1::FigureState>> Replica::Figure(const std::string& key) {
  auto it = figures_.find(key);
  if (it == figures_.end()) return std::nullopt;
  return it->second;
}

}  // namespace rectsync::aggregator
