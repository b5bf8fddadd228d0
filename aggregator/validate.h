// Field validation of a record body (shape only: ids, dates, lengths, signs).
// Runs on every local write and on every record received. Checks that need
// stored state (does the problem exist?) belong to the node. Pure.
#ifndef RECTSYNC_AGGREGATOR_VALIDATE_H_
#define RECTSYNC_AGGREGATOR_VALIDATE_H_

#include "absl/status/status.h"
#include "aggregator/record_view.h"

namespace rectsync::aggregator {

inline constexpr size_t kMaxTitle = 500;
inline constexpr size_t kMaxText = 20000;
inline constexpr size_t kMaxAuthor = 64;

// InvalidArgument naming the offending field ("problem_raised.deadline: ...").
absl::Status ValidateBody(const v1::RecordBody& body);

// The event alone, for the given origin (ids it creates must carry it).
absl::Status ValidateEvent(const v1::RecordBody& body);

}  // namespace rectsync::aggregator

#endif  // RECTSYNC_AGGREGATOR_VALIDATE_H_
