#include "node/console/sessions.h"

#include <sodium.h>

#include "node/record/keys.h"

namespace rectsync::console {

std::string RandomToken() {
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  return record::ToHex(std::string(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

bool TokensEqual(const std::string& a, const std::string& b) {
  return a.size() == b.size() && !a.empty() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string SessionTable::Create(const std::string& officer, int64_t now_ms) {
  Session s;
  s.officer = officer;
  s.csrf = RandomToken();
  s.created_ms = s.last_seen_ms = now_ms;
  std::string token = RandomToken();
  std::lock_guard<std::mutex> lock(mu_);
  ExpireLocked(now_ms);
  sessions_[token] = std::move(s);
  return token;
}

std::optional<Session> SessionTable::Touch(const std::string& token, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(token);
  if (it == sessions_.end()) return std::nullopt;
  Session& s = it->second;
  if (now_ms - s.last_seen_ms > idle_ms_ || now_ms - s.created_ms > max_ms_) {
    sessions_.erase(it);
    return std::nullopt;
  }
  s.last_seen_ms = now_ms;
  return s;
}

void SessionTable::End(const std::string& token) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.erase(token);
}

void SessionTable::EndAll(const std::string& officer) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    it = it->second.officer == officer ? sessions_.erase(it) : std::next(it);
  }
}

size_t SessionTable::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_.size();
}

void SessionTable::ExpireLocked(int64_t now_ms) {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    const Session& s = it->second;
    const bool dead = now_ms - s.last_seen_ms > idle_ms_ || now_ms - s.created_ms > max_ms_;
    it = dead ? sessions_.erase(it) : std::next(it);
  }
}

int64_t LoginLimiter::RetryAfterMs(const std::string& key, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = failures_.find(key);
  if (it == failures_.end()) return 0;
  std::deque<int64_t>& times = it->second;
  while (!times.empty() && now_ms - times.front() >= window_ms_) times.pop_front();
  if (times.empty()) {
    failures_.erase(it);
    return 0;
  }
  if (static_cast<int>(times.size()) < max_failures_) return 0;
  return times.front() + window_ms_ - now_ms;
}

void LoginLimiter::Failed(const std::string& key, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  std::deque<int64_t>& times = failures_[key];
  times.push_back(now_ms);
  while (static_cast<int>(times.size()) > max_failures_) times.pop_front();
  if (failures_.size() > 100000) failures_.erase(failures_.begin());  // bound memory under a spray
}

void LoginLimiter::Succeeded(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  failures_.erase(key);
}

}  // namespace rectsync::console
