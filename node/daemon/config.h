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
  // Not read from node.toml. When the disk is full (or failing) at open,
  // open the store read-only, so reads work and writes are refused by name
  // (the CLI's in-process node); false: Open fails instead, ResourceExhausted
  // for a full disk (rectsyncd, which waits for space).
  bool read_only_fallback = true;
  // Received stamps further ahead than this do not advance the clock. Default 5 min.
  int64_t max_clock_skew_ms = 5 * 60 * 1000;
  // After an enrolment's valid_until, how long this node still takes, from
  // the enrolled unit itself, hellos and records signed under it (records
  // written before the expiry that had not been sent yet). Past that, the
  // unit must be enrolled again. Default 24 h.
  int64_t enrolment_grace_ms = 24LL * 3600 * 1000;
  // Admin socket path; relative paths are under data_dir. Default "admin.sock".
  std::string admin_socket = "admin.sock";
  // Public gRPC address for children and queries ("" = none).
  std::string listen;
  // The address this node tells its parent to reach it at, for live
  // queries. Default: `listen`.
  std::string advertise;
  // What goes up to the parent: "full" (every record of the subtree) or
  // "summary" (only this node's SummaryAttested; the parent answers for the
  // subtree from it, without drill-down below). Default "full".
  std::string uplink = "full";
  // How often, at most, the node attests its subtree's summary
  // (SummaryAttested) to its parent when it changed. Default 60000 ms.
  int64_t attest_interval_ms = 60000;

  // --- The officers' web console (node/console). ---
  // "host:port" it serves on ("" = off). HTTPS with tls_cert/tls_key when
  // they are set; otherwise loopback addresses only.
  std::string console_listen;
  // A console session ends after this long without a request. Default 8 h.
  int64_t console_session_idle_ms = 8LL * 3600 * 1000;
  // A child link without contact for this long is marked stale on the
  // overview. Default 15 min.
  int64_t console_stale_after_ms = 15LL * 60 * 1000;

  // --- Sync with the parent (DESIGN §7). ---
  // The parent's gRPC address, "host:port" ("" = this node has no parent link).
  std::string parent;
  // The parent's unit id. Default: this unit's parent in the id path.
  std::string parent_unit;
  // Failover (DESIGN §7): the address of the next upstream, usually the
  // parent's parent, which this node pushes to and pulls from while the
  // parent has been unreachable for failover_after_ms ("" = none).
  std::string failover;
  // Its unit id. Default: the parent unit's parent in the id path.
  std::string failover_unit;
  int64_t failover_after_ms = 10LL * 60 * 1000;
  // Transport security. With tls_cert/tls_key (and tls_ca to check the peer)
  // set, both the server and the parent link use TLS with client
  // certificates. Otherwise `plaintext = true` must be set explicitly, and is
  // allowed only for loopback addresses.
  bool plaintext = false;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;
  // How long the push loop idles between heartbeat handshakes when there is
  // nothing new. Default 5000 ms. A local write or an ingest wakes it at once.
  int64_t push_interval_ms = 5000;
  // Long-poll wait of a Pull at the parent. Default 10000 ms.
  int64_t pull_wait_ms = 10000;
  // Retry backoff after a failed call: capped exponential with full jitter.
  // Defaults 200 ms and 30000 ms.
  int64_t backoff_min_ms = 200;
  int64_t backoff_max_ms = 30000;
  // Records per push batch. Default 500.
  int64_t batch_records = 500;
  // gRPC message size limit on both sides, MiB. Default 16.
  int64_t max_message_mb = 16;
  // Deadline of one sync call, ms (a push stream gets this per batch). Default 30000.
  int64_t call_timeout_ms = 30000;

  std::string KeyPath() const { return data_dir + "/node.key"; }
  std::string DbPath() const { return data_dir + "/db"; }
  std::string ConfigPath() const { return data_dir + "/node.toml"; }
  std::string AdminSocketPath() const;
};

// Reads `path` (a node.toml, or a directory holding one).
absl::StatusOr<NodeOptions> LoadConfig(const std::string& path);
// True for "127.x.x.x:port", "localhost:port", "[::1]:port".
bool IsLoopback(const std::string& address);
// Writes a node.toml for `options` into options.data_dir.
absl::Status WriteConfig(const NodeOptions& options);

}  // namespace rectsync::node

#endif  // RECTSYNC_NODE_DAEMON_CONFIG_H_
