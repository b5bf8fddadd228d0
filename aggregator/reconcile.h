// Reconciliation (DESIGN §8): compares what a unit attests (SummaryAttested)
// or reports (FiguresReported) with what the ledger's records show, and
// lists every difference with the records behind it. Pure; thread-safe.
//
// Reported indicators that the ledger also counts are compared with the
// unit's own rollup, using the latest period reported:
//   problems            -> problems            (问题数)
//   rectified           -> verified_complete   (已整改, verified by an ancestor)
//   closed              -> status/closed       (已销号)
//   measures            -> measures            (整改措施)
//   rules_made, funds_recovered_fen, people_disciplined, people_handled,
//   people_accountable  -> out/<same>          (整改成果)
// Indicators "X/part" are parts of "X": when both are reported for one unit
// and period, the parts must add up to the total.
#ifndef RECTSYNC_AGGREGATOR_RECONCILE_H_
#define RECTSYNC_AGGREGATOR_RECONCILE_H_

#include <map>
#include <string>
#include <vector>

#include "aggregator/rollup.h"
#include "rectsync/v1/admin.pb.h"

namespace rectsync::aggregator {

// The ledger counter a reported indicator is checked against, or "".
std::string LedgerCounterFor(const std::string& indicator);

// "<origin>#<seq> <id hex prefix>" for difference listings.
std::string RecordLabel(const v1::RecordRef& ref);

// Problems (of `problems`, all in the subtree concerned) whose contribution
// includes `counter_key`: the records behind a counter. At most `limit`.
std::vector<std::string> RecordsBehind(const std::map<std::string, v1::ProblemState>& problems,
                                       const std::string& counter_key, size_t limit = 20);

// Attested counters of `unit` against the ones recomputed from the records
// at the attested frontier.
std::vector<v1::Difference> CompareAttested(const std::string& unit, const Counters& attested,
                                            const Counters& recomputed,
                                            const std::map<std::string, v1::ProblemState>& problems);

// Figures one unit reported against its ledger counters.
std::vector<v1::Difference> CheckFigures(const std::string& unit,
                                         const std::vector<v1::FigureState>& figures,
                                         const Counters& ledger,
                                         const std::map<std::string, v1::ProblemState>& problems);

// Parts against totals among the figures of one unit (all periods).
std::vector<v1::Difference> CheckParts(const std::string& unit,
                                       const std::vector<v1::FigureState>& figures);

// The status counters of a rollup must add up to its problem count.
std::vector<v1::Difference> CheckStatusSum(const std::string& unit, const Counters& counters);

}  // namespace rectsync::aggregator

#endif  // RECTSYNC_AGGREGATOR_RECONCILE_H_
