#include "node/daemon/clock.h"

#include <chrono>
#include <ctime>

#include "aggregator/date.h"

namespace rectsync::node {

int64_t SystemClock::NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

SystemClock* SystemClock::Get() {
  static SystemClock clock;
  return &clock;
}

HybridClock::HybridClock(Clock* wall, int64_t max_ahead_ms) : wall_(wall), max_ahead_ms_(max_ahead_ms) {}

uint64_t HybridClock::Now() {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t wall = static_cast<uint64_t>(wall_->NowMillis()) << 16;
  last_ = wall > last_ ? wall : last_ + 1;
  return last_;
}

bool HybridClock::Observe(uint64_t stamp) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t wall_ms = wall_->NowMillis();
  if (static_cast<int64_t>(stamp >> 16) > wall_ms + max_ahead_ms_) return false;
  if (stamp > last_) last_ = stamp;
  return true;
}

void HybridClock::ObserveOwn(uint64_t stamp) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stamp > last_) last_ = stamp;
}

std::string LocalDate(int64_t unix_ms) {
  std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

}  // namespace rectsync::node
