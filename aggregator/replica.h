// Replica: an in-memory holder of records and their derived state, driven by
// the same Derive() as the node store. Used by the simulation and property
// tests, and as the reference the store is compared against. Not thread-safe.
#ifndef RECTSYNC_AGGREGATOR_REPLICA_H_
#define RECTSYNC_AGGREGATOR_REPLICA_H_

#include <map>
#include <string>
#include <tuple>

#include "absl/status/status.h"
#include "aggregator/derive.h"

namespace rectsync::aggregator {

class Replica : public StateReader {
 public:
  // Adds a record; one already held (same id) changes nothing. Returns an
  // error only if derived state cannot be read (never, in memory).
  absl::Status Add(const DecodedRecord& record);

  const std::map<std::string, v1::ProblemState>& problems() const { return problems_; }
  const std::map<std::string, Counters>& rollups() const { return rollups_; }
  size_t record_count() const { return records_.size(); }

  // Deterministic serialization of all derived state, for byte comparisons.
  std::string Serialize() const;

  // Summary of `unit`'s subtree with one row per child unit that has data.
  v1::Summary Summary(const std::string& unit, int64_t today,
                      const SummaryOptions& options = {}) const;

  absl::StatusOr<std::optional<v1::ProblemState>> Problem(const std::string& id) override;
  absl::StatusOr<DecodedRecord> Record(const v1::FoldKey& key) override;
  absl::StatusOr<std::optional<v1::FigureState>> Figure(const std::string& key) override;

 private:
  std::map<std::tuple<std::string, uint64_t>, DecodedRecord> records_;
  std::map<std::string, v1::ProblemState> problems_;
  std::map<std::string, v1::FigureState> figures_;
  std::map<std::string, Counters> rollups_;
};

}  // namespace rectsync::aggregator

#endif  // RECTSYNC_AGGREGATOR_REPLICA_H_
