// Derivation: what new records change in derived state. The single place
// where records turn into problem states, figure states and rollup deltas;
// the node's RocksDB store and the in-memory Replica both apply its output,
// so they cannot drift apart. Pure apart from the StateReader it is given.
#ifndef RECTSYNC_AGGREGATOR_DERIVE_H_
#define RECTSYNC_AGGREGATOR_DERIVE_H_

#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "aggregator/record_view.h"
#include "aggregator/rollup.h"

namespace rectsync::aggregator {

// Read access to the state records are derived onto. Implementations: the
// node store (RocksDB) and Replica.
class StateReader {
 public:
  virtual ~StateReader() = default;
  virtual absl::StatusOr<std::optional<v1::ProblemState>> Problem(const std::string& id) = 0;
  // A stored record by its fold key (origin, seq). NotFound if absent.
  virtual absl::StatusOr<DecodedRecord> Record(const v1::FoldKey& key) = 0;
  virtual absl::StatusOr<std::optional<v1::FigureState>> Figure(const std::string& key) = 0;
};

// The net changes of a run of records.
struct StateChanges {
  struct Problem {
    std::optional<v1::ProblemState> before;  // as read, before the run
    v1::ProblemState after;
  };
  std::map<std::string, Problem> problems;           // touched problems by id
  std::map<std::string, v1::FigureState> figures;    // FigureKey -> new state
  RollupDelta rollups;                               // pruned: no zero counters
};

// "<unit>\n<period>\n<indicator>": the last-writer-wins slot of a figure.
std::string FigureKey(const std::string& unit, const std::string& period,
                      const std::string& indicator);

// Derives a run of records (a batch being stored), one by one in the order
// given; each sees the states the ones before it left. States are changed
// in place, each read once per run; the rollup delta is computed once per
// touched problem and figure, from its state before the run to its state
// after (contributions telescope, so this equals the sum of the records'
// own deltas). Records passed to Add must outlive the Derivation.
class Derivation {
 public:
  explicit Derivation(StateReader& reader) : reader_(reader) {}

  // Derives `record`, new to the state the reader holds (a record already in
  // its problem's history changes nothing). Returns its problem's state
  // after it, or nullptr if it concerns no problem.
  absl::StatusOr<const v1::ProblemState*> Add(const DecodedRecord& record);

  // The net changes of every record added.
  StateChanges Finish() &&;

 private:
  struct ProblemSlot {
    std::optional<v1::ProblemState> before;
    std::optional<v1::ProblemState> now;
    bool changed = false;
  };
  struct FigureSlot {
    std::optional<v1::FigureState> before;
    std::optional<v1::FigureState> now;
    bool changed = false;
  };
  absl::StatusOr<ProblemSlot*> LoadProblem(const std::string& id);
  absl::Status AddProblem(const DecodedRecord& r, ProblemSlot* slot);
  absl::Status AddFigures(const DecodedRecord& r);

  StateReader& reader_;
  std::map<std::string, ProblemSlot> problems_;
  std::map<std::string, FigureSlot> figures_;
  // Records added so far, by (origin, seq): a refold reads them here.
  // The keys view the records' own origins.
  std::map<std::pair<absl::string_view, uint64_t>, const DecodedRecord*> added_;
};

// The changes one record makes: a Derivation of that record alone.
absl::StatusOr<StateChanges> Derive(const DecodedRecord& record, StateReader& reader);

}  // namespace rectsync::aggregator

#endif  // RECTSYNC_AGGREGATOR_DERIVE_H_
