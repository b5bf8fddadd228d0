// Calendar dates as used by deadlines and reports: "YYYY-MM-DD", converted
// to days since 1970-01-01 for arithmetic. Pure; thread-safe.
#ifndef RECTSYNC_AGGREGATOR_DATE_H_
#define RECTSYNC_AGGREGATOR_DATE_H_

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"

namespace rectsync::aggregator {

// Days since 1970-01-01, or InvalidArgument naming `field` for anything that
// is not a real date between 1990 and 2199.
absl::StatusOr<int64_t> ParseDate(absl::string_view date, absl::string_view field = "date");
std::string FormatDate(int64_t days);
// The UTC date of a unix-ms instant.
std::string DateOfMillis(int64_t unix_ms);

// Reporting periods: "YYYY", "YYYY-Qn" (n 1..4) or "YYYY-MM".
absl::Status ValidatePeriod(absl::string_view period, absl::string_view field = "period");

}  // namespace rectsync::aggregator

#endif  // RECTSYNC_AGGREGATOR_DATE_H_
