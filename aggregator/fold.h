// The fold of a problem's records into its derived state (DESIGN §4).
//
// Authority is checked here, not at ingest: a validly signed record that
// breaks a rule is kept in the history, has no effect, and is listed as a
// violation. Given the same set of records the result is byte-identical
// whatever order they arrived in, because records are applied in fold order
// (hlc, origin, seq). Pure; thread-compatible.
#ifndef RECTSYNC_AGGREGATOR_FOLD_H_
#define RECTSYNC_AGGREGATOR_FOLD_H_

#include <string>
#include <vector>

#include "aggregator/record_view.h"

namespace rectsync::aggregator {

// Applies one record about `state->problem_id()` that sorts after every
// record already in state->history(). Records of other problems are ignored.
void ApplyToProblem(const DecodedRecord& record, v1::ProblemState* state);

// Folds a problem from scratch; `records` may be in any order and may
// contain duplicates (by id).
v1::ProblemState FoldProblem(const std::string& problem_id,
                             std::vector<const DecodedRecord*> records);

// True if `record` sorts after everything `state` has applied, so that
// ApplyToProblem gives the same result as a refold.
bool AppliesAtEnd(const v1::ProblemState& state, const DecodedRecord& record);
// True if `state` already holds a record with this id.
bool HasRecord(const v1::ProblemState& state, const std::string& id);

// Deadline colour of a problem: "red" overdue, "yellow" due within
// `yellow_days`, "green" otherwise; "" when not coloured (closed, accepted,
// long-term, or no deadline).
std::string Colour(const v1::ProblemState& state, int64_t today_days, int yellow_days);
// True when the problem's deadline colour is tracked at all.
bool Colourable(const v1::ProblemState& state);

// The claim kind that currently counts for the problem (latest claim), or
// CLAIM_KIND_UNSPECIFIED.
v1::ClaimKind CurrentClaimKind(const v1::ProblemState& state);

const char* StatusKey(v1::Status s);       // "open", "in_progress", ...
const char* SourceKey(v1::Source s);       // "inspection", "visit", ...
const char* ClaimKindKey(v1::ClaimKind k); // "completed", ...

}  // namespace rectsync::aggregator

#endif  // RECTSYNC_AGGREGATOR_FOLD_H_
