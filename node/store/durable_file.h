// Files outside the store that must survive a crash whole or not at all
// (node.toml, officers.json, exported ledgers and bundles): written beside
// the target, fsynced, renamed over it, and the directory fsynced. A crash
// at any point leaves either the old file or the new one, never a half.
#ifndef RECTSYNC_NODE_STORE_DURABLE_FILE_H_
#define RECTSYNC_NODE_STORE_DURABLE_FILE_H_

#include <string>

#include <sys/types.h>

#include "absl/status/status.h"

namespace rectsync::store {

// Replaces `path` with `data` (mode `mode` for a new file). Unavailable
// naming the file and the system's reason (e.g. "No space left on device")
// on failure, with the old file untouched and no temporary left behind.
absl::Status ReplaceFileDurably(const std::string& path, const std::string& data, mode_t mode = 0600);

// Makes the entries of `dir` (files created, renamed or removed in it)
// durable. Unavailable naming the directory on failure.
absl::Status SyncDirectory(const std::string& dir);

}  // namespace rectsync::store

#endif  // RECTSYNC_NODE_STORE_DURABLE_FILE_H_
