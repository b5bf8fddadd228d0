// Rendering of `rectsync status`: one row per sync link, then forks.
#ifndef RECTSYNC_NODE_CLI_RENDER_SYNC_H_
#define RECTSYNC_NODE_CLI_RENDER_SYNC_H_

#include <string>

#include <nlohmann/json.hpp>

#include "node/cli/labels.h"
#include "rectsync/v1/admin.pb.h"

namespace rectsync::cli {

nlohmann::json SyncStatusJson(const v1::SyncStatusReply& s);
std::string RenderSyncStatus(Lang lang, const v1::SyncStatusReply& s);

}  // namespace rectsync::cli

#endif  // RECTSYNC_NODE_CLI_RENDER_SYNC_H_
