// Rendering of reconciliation results and of a summary's provenance
// (which node answered, how fresh, which records it reflects).
#ifndef RECTSYNC_NODE_CLI_RENDER_RECONCILE_H_
#define RECTSYNC_NODE_CLI_RENDER_RECONCILE_H_

#include <string>

#include <nlohmann/json.hpp>

#include "node/cli/labels.h"
#include "rectsync/v1/admin.pb.h"

namespace rectsync::cli {

nlohmann::json ReconcileJson(const v1::ReconcileReply& r);
std::string RenderReconcile(Lang lang, const v1::ReconcileReply& r);
// "answered by X (live), computed N s ago; frontier ..." lines.
std::string RenderProvenance(Lang lang, const v1::Summary& s);

}  // namespace rectsync::cli

#endif  // RECTSYNC_NODE_CLI_RENDER_RECONCILE_H_
