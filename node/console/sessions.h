// Console sessions and login throttling, in memory (a daemon restart logs
// everyone out). Times come from the caller, so tests run on a fake clock.
// Thread-safe.
#ifndef RECTSYNC_NODE_CONSOLE_SESSIONS_H_
#define RECTSYNC_NODE_CONSOLE_SESSIONS_H_

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace rectsync::console {

// A random token as 64 hex characters (libsodium randombytes).
std::string RandomToken();
// Constant-time equality of two strings (tokens).
bool TokensEqual(const std::string& a, const std::string& b);

struct Session {
  std::string officer;  // name; role and enablement are looked up per request
  std::string csrf;     // must accompany every form post and API write
  int64_t created_ms = 0;
  int64_t last_seen_ms = 0;
};

class SessionTable {
 public:
  // Sessions end after `idle_ms` without a request or `max_ms` after login.
  SessionTable(int64_t idle_ms, int64_t max_ms) : idle_ms_(idle_ms), max_ms_(max_ms) {}

  // A new session; returns its token (the cookie's value).
  std::string Create(const std::string& officer, int64_t now_ms);
  // The live session of `token`, its last_seen moved to `now_ms`.
  std::optional<Session> Touch(const std::string& token, int64_t now_ms);
  void End(const std::string& token);
  // Ends every session of `officer` (password change, disable).
  void EndAll(const std::string& officer);
  size_t size() const;

 private:
  void ExpireLocked(int64_t now_ms);
  const int64_t idle_ms_;
  const int64_t max_ms_;
  mutable std::mutex mu_;
  std::map<std::string, Session> sessions_;  // guarded by mu_
};

// At most `max_failures` failed logins per key (an officer name, a client
// address) within `window_ms`; past that the key waits until its oldest
// failure leaves the window.
class LoginLimiter {
 public:
  LoginLimiter(int max_failures, int64_t window_ms)
      : max_failures_(max_failures), window_ms_(window_ms) {}
  // 0 if `key` may try now, else the milliseconds until it may.
  int64_t RetryAfterMs(const std::string& key, int64_t now_ms);
  void Failed(const std::string& key, int64_t now_ms);
  void Succeeded(const std::string& key);

 private:
  const int max_failures_;
  const int64_t window_ms_;
  std::mutex mu_;
  std::map<std::string, std::deque<int64_t>> failures_;  // guarded by mu_
};

}  // namespace rectsync::console

#endif  // RECTSYNC_NODE_CONSOLE_SESSIONS_H_
