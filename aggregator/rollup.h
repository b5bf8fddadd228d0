// Rollups: per-unit counters summed over the unit's subtree, maintained
// incrementally (DESIGN §8). A problem contributes a small set of counters to
// its responsible unit and every ancestor; when its state changes, only the
// difference is applied to those units. Pure; thread-compatible.
//
// Counter keys:
//   problems                     every raised problem
//   status/<open|in_progress|claimed|accepted|closed>
//   category/<c>  source/<s>     kind/<claim kind> (accepted or closed)
//   due/<YYYY-MM-DD>, due/none   deadlines of problems whose colour runs;
//                                the colour is computed at query time
//   claimed_complete             completed/basically completed, claimed or better
//   verified_complete            ... and accepted by an ancestor (or closed)
//   measures  measures_done  violations
//   out/<outcome>                funds_recovered_fen, people_disciplined, ...
//   fig/<period>/<indicator>     FiguresReported values
#ifndef RECTSYNC_AGGREGATOR_ROLLUP_H_
#define RECTSYNC_AGGREGATOR_ROLLUP_H_

#include <cstdint>
#include <map>
#include <string>

#include "aggregator/record_view.h"

namespace rectsync::aggregator {

using Counters = std::map<std::string, int64_t>;
// unit -> counter deltas.
using RollupDelta = std::map<std::string, Counters>;

// What one problem adds to each unit on its path to the root.
Counters Contribution(const v1::ProblemState& state);

// Adds new-minus-old contribution to the responsible units (old and new may
// differ when the responsible unit was amended) and all their ancestors.
// Adds no zero; sums in `delta` that cancel to zero stay until Prune.
void AddProblemDelta(const v1::ProblemState* before, const v1::ProblemState& after,
                     RollupDelta* delta);
// Adds `value` under `key` to `unit` and all its ancestors.
void AddToPath(const std::string& unit, const std::string& key, int64_t value, RollupDelta* delta);

void Accumulate(const Counters& add, Counters* into);
// Drops zero-valued counters.
void Prune(Counters* c);

struct SummaryOptions {
  // Days before the deadline during which a problem is yellow. Default 10.
  int yellow_days = 10;
};

// The summary answer for `unit` from its rollup counters, on `today`
// (days since epoch). Children are left empty: callers fill them.
v1::Summary Summarize(const std::string& unit, const Counters& counters, int64_t today,
                      const SummaryOptions& options = {});

}  // namespace rectsync::aggregator

#endif  // RECTSYNC_AGGREGATOR_ROLLUP_H_
