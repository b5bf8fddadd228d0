// Officer accounts of one node's console: DIR/officers.json (0600), written
// by `rectsync user ...` and read by the daemon. An officer logs in with a
// name and password (hashed with libsodium's Argon2id, crypto_pwhash_str)
// and acts in one role at this node's unit. Every record an officer writes
// from the console carries Author(officer) as its author.
//
// Concurrency: writers (the CLI, the console's user page) take an exclusive
// flock on DIR/officers.lock and replace the file atomically (write, fsync,
// rename, fsync the directory); readers reload when the file's mtime or
// size changed. Thread-safe.
#ifndef RECTSYNC_NODE_CONSOLE_OFFICERS_H_
#define RECTSYNC_NODE_CONSOLE_OFFICERS_H_

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace rectsync::console {

// What an officer may do here. Each role includes the one before it except
// that a clerk does not review and a reviewer does not write the unit's own
// work: admin = clerk + reviewer + accounts.
enum class Role { kViewer, kClerk, kReviewer, kAdmin };

const char* RoleName(Role role);
absl::StatusOr<Role> ParseRole(const std::string& name);
// Writes this unit's own work: inspections, problems, measures, progress, claims.
bool CanWrite(Role role);
// Reviews claims, closes, reopens and amends problems of units below.
bool CanReview(Role role);

struct Officer {
  std::string name;     // login, [a-z0-9._-]{1,32}
  std::string display;  // e.g. 王芳; may be empty
  Role role = Role::kViewer;
  bool disabled = false;
  std::string password_hash;  // crypto_pwhash_str output
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

// The author string of records this officer writes: "王芳 (wang)", or the
// name alone without a display name.
std::string Author(const Officer& officer);

class OfficerStore {
 public:
  explicit OfficerStore(std::string data_dir);

  // All accounts, by name. Unavailable if the file exists but cannot be read
  // or parsed (naming the file and the fault).
  absl::StatusOr<std::vector<Officer>> List() const;
  absl::StatusOr<std::optional<Officer>> Find(const std::string& name) const;

  // AlreadyExists for a taken name; InvalidArgument naming a bad name or a
  // password shorter than 8 characters.
  absl::Status Add(const std::string& name, const std::string& display, Role role,
                   const std::string& password, int64_t now_ms);
  absl::Status SetPassword(const std::string& name, const std::string& password, int64_t now_ms);
  absl::Status SetDisabled(const std::string& name, bool disabled, int64_t now_ms);
  absl::Status SetRole(const std::string& name, Role role, int64_t now_ms);

  // The officer if `password` is theirs and the account is enabled;
  // Unauthenticated otherwise (one message for an unknown name and a wrong
  // password). Hash checks run one at a time: each takes 64 MiB.
  absl::StatusOr<Officer> Authenticate(const std::string& name, const std::string& password) const;

  const std::string& path() const { return path_; }

 private:
  // Loads the file if it changed since the last load. Caller holds mu_.
  absl::Status RefreshLocked() const;
  // Read-modify-write under the file lock.
  absl::Status Modify(const std::string& name,
                      const std::function<absl::Status(std::vector<Officer>*)>& change);

  const std::string dir_;
  const std::string path_;
  mutable std::mutex mu_;
  mutable std::vector<Officer> officers_;  // guarded by mu_
  mutable int64_t loaded_mtime_ns_ = -1;   // guarded by mu_
  mutable int64_t loaded_size_ = -1;       // guarded by mu_
  mutable std::mutex hash_mu_;             // one Argon2id at a time
};

}  // namespace rectsync::console

#endif  // RECTSYNC_NODE_CONSOLE_OFFICERS_H_
