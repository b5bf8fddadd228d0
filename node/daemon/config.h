// Node configuration: DIR/node.toml, read once at start-up and validated
// with a message naming the bad key.
#ifndef RECTSYNC_NODE_DAEMON_CONFIG_H_
#define RECTSYNC_NODE_DAEMON_CONFIG_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace rectsync::node {

struct NodeOptions {
  // Data directory: node.toml, node.key, db/, admin.sock. Set from the
  // config file's location.
  std::string data_dir;
  // Unit id this node runs as (checked against the store's identity).
  std::string unit;
  // Days before a deadline during which a problem shows yellow. Default 10.
  int yellow_days = 10;
  // fsync every write before acknowledging it. Default true.
  bool sync_writes = true;
  // Received stamps further ahead than this do not advance the clock. Default 5 min.
  int64_t max_clock_skew_ms = 5 * 60 * 1000;
  // Admin socket path; relative paths are under data_dir. Default "admin.sock".
  std::string admin_socket = "admin.sock";
  // Public gRPC address for children and queries ("" = none yet).
  std::string listen;

  std::string KeyPath() const { return data_dir + "/node.key"; }
  std::string DbPath() const { return data_dir + "/db"; }
  std::string ConfigPath() const { return data_dir + "/node.toml"; }
  std::string AdminSocketPath() const;
};

// Reads `path` (a node.toml, or a directory holding one).
absl::StatusOr<NodeOptions> LoadConfig(const std::string& path);
// Writes a node.toml for `options` into options.data_dir.
absl::Status WriteConfig(const NodeOptions& options);

}  // namespace rectsync::node

#endif  // RECTSYNC_NODE_DAEMON_CONFIG_H_
