// Derive: what one new record changes in derived state. The single place
// where records turn into problem states, figure states and rollup deltas;
// the node's RocksDB store and the in-memory Replica both apply its output,
// so they cannot drift apart. Pure apart from the StateReader it is given.
#ifndef RECTSYNC_AGGREGATOR_DERIVE_H_
#define RECTSYNC_AGGREGATOR_DERIVE_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "aggregator/record_view.h"
#include "aggregator/rollup.h"

namespace rectsync::aggregator {

// Read access to the state a record is derived onto. Implementations: the
// node store (RocksDB plus the batch being built) and Replica.
class StateReader {
 public:
  virtual ~StateReader() = default;
  virtual absl::StatusOr<std::optional<v1::ProblemState>> Problem(const std::string& id) = 0;
  // A stored record by its fold key (origin, seq). NotFound if absent.
  virtual absl::StatusOr<DecodedRecord> Record(const v1::FoldKey& key) = 0;
  virtual absl::StatusOr<std::optional<v1::FigureState>> Figure(const std::string& key) = 0;
};

struct StateChanges {
  std::map<std::string, v1::ProblemState> problems;  // id -> new state
  std::map<std::string, v1::FigureState> figures;    // FigureKey -> new state
  RollupDelta rollups;
  bool refolded = false;  // a late record forced a refold of its problem
};

// "<unit>\n<period>\n<indicator>": the last-writer-wins slot of a figure.
std::string FigureKey(const std::string& unit, const std::string& period,
                      const std::string& indicator);

// Changes that `record` (new to the reader's state) makes. A record already
// in its problem's history yields no changes.
absl::StatusOr<StateChanges> Derive(const DecodedRecord& record, StateReader& reader);

}  // namespace rectsync::aggregator

#endif  // RECTSYNC_AGGREGATOR_DERIVE_H_
