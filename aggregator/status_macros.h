// The one error-propagation macro of the project (STYLE §2).
#ifndef RECTSYNC_AGGREGATOR_STATUS_MACROS_H_
#define RECTSYNC_AGGREGATOR_STATUS_MACROS_H_

#include "absl/status/status.h"

#define RECTSYNC_CONCAT_INNER_(a, b) a##b
#define RECTSYNC_CONCAT_(a, b) RECTSYNC_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status) and returns it from the caller if not ok.
#define RETURN_IF_ERROR(expr)                                   \
  do {                                                          \
    ::absl::Status rectsync_status_ = (expr);                   \
    if (!rectsync_status_.ok()) return rectsync_status_;        \
  } while (0)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status,
// otherwise moves the value into `lhs` (which may be a declaration).
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  ASSIGN_OR_RETURN_IMPL_(RECTSYNC_CONCAT_(rectsync_or_, __LINE__), lhs, rexpr)
#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                           \
  if (!tmp.ok()) return tmp.status();           \
  lhs = std::move(*tmp)

#endif  // RECTSYNC_AGGREGATOR_STATUS_MACROS_H_
