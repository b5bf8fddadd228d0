// Unit ids (DESIGN §2): a unit's path from the root, segments joined by '/'.
// X is in the subtree of Y iff Y's segments are a prefix of X's. Pure
// functions; thread-safe.
#ifndef RECTSYNC_AGGREGATOR_UNIT_ID_H_
#define RECTSYNC_AGGREGATOR_UNIT_ID_H_

#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/status.h"

namespace rectsync::aggregator {

inline constexpr int kMaxUnitDepth = 8;
inline constexpr size_t kMaxSegmentLength = 32;
inline constexpr size_t kMaxUnitIdLength = 200;

// InvalidArgument naming `field` unless `id` is 1..8 segments of [0-9a-z_-],
// each 1..32 characters, at most 200 characters in all.
absl::Status ValidateUnitId(absl::string_view id, absl::string_view field = "unit");

// True iff `unit` equals `root` or lies below it.
bool InSubtree(absl::string_view unit, absl::string_view root);
// True iff `unit` lies strictly below `ancestor`.
bool StrictlyBelow(absl::string_view unit, absl::string_view ancestor);

// Number of segments ("3201" is 1).
int UnitDepth(absl::string_view unit);
// "" for a root unit.
std::string ParentUnit(absl::string_view unit);
// `unit` and every ancestor, the unit itself first, the root last.
std::vector<std::string> SelfAndAncestors(absl::string_view unit);
// The child of `root` on the path to `unit` (unit must be strictly below root).
std::string ChildToward(absl::string_view unit, absl::string_view root);

// Ids of things an origin creates (problems, measures, inspections) are
// "<origin>:<local>" with local of [A-Za-z0-9._-], 1..40 characters.
absl::Status ValidateLocalId(absl::string_view id, absl::string_view field);
// The origin part of such an id ("" if malformed).
absl::string_view IdOrigin(absl::string_view id);

}  // namespace rectsync::aggregator

#endif  // RECTSYNC_AGGREGATOR_UNIT_ID_H_
