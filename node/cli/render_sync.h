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

// A unit's key history (密钥): one line per enrolled key, oldest first,
// with its validity, who enrolled it, and its revocation if any. `now_ms`
// marks which keys are usable now.
nlohmann::json KeysJson(const google::protobuf::RepeatedPtrField<v1::KeyInfo>& keys);
std::string RenderKeys(Lang lang, const google::protobuf::RepeatedPtrField<v1::KeyInfo>& keys, int64_t now_ms,
                       const std::string& indent);
// "2026-12-07 09:30:00" (local time), or "—" for 0.
std::string MillisTime(int64_t ms);

}  // namespace rectsync::cli

#endif  // RECTSYNC_NODE_CLI_RENDER_SYNC_H_
