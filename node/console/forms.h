// The console's writes: a submitted form becomes a RecordBody, and an
// officer's role decides which events they may submit at all. The node's
// own rules (validation, authority, known ids) are not repeated here: the
// body goes to Node::Append like the CLI's and the admin service's.
#ifndef RECTSYNC_NODE_CONSOLE_FORMS_H_
#define RECTSYNC_NODE_CONSOLE_FORMS_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "node/console/officers.h"
#include "rectsync/v1/record.pb.h"

namespace rectsync::console {

// A form field by name ("" when absent).
using FormValue = std::function<std::string(const std::string& name)>;

// Builds the record of form `action`: inspection, problem, measure,
// progress, claim, review, close, reopen, amend. InvalidArgument naming the
// field (as the form labels it) otherwise. The author is not set.
absl::StatusOr<v1::RecordBody> BodyFromForm(const std::string& action, const FormValue& form);

// OK iff an officer in `role` may submit `body`'s event from the console:
// writers (clerk, admin) their unit's own work, reviewers (reviewer, admin)
// reviews, closes, reopens and amendments. Enrolments and attestations are
// never written from the console. PermissionDenied naming the role otherwise.
absl::Status CheckRole(Role role, const v1::RecordBody& body);

}  // namespace rectsync::console

#endif  // RECTSYNC_NODE_CONSOLE_FORMS_H_
