// Time seams. Clock is wall time (faked in tests); HybridClock stamps records
// with a hybrid logical clock (wall ms << 16 | logical) that never runs
// backwards, and merges stamps it observes unless they are implausibly far
// ahead of local time (DESIGN §3). HybridClock is thread-safe.
#ifndef RECTSYNC_NODE_DAEMON_CLOCK_H_
#define RECTSYNC_NODE_DAEMON_CLOCK_H_

#include <cstdint>
#include <mutex>
#include <string>

namespace rectsync::node {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMillis() = 0;  // unix ms
};

class SystemClock : public Clock {
 public:
  int64_t NowMillis() override;
  static SystemClock* Get();
};

class HybridClock {
 public:
  // `max_ahead_ms`: a stamp further than this ahead of local wall time does
  // not advance the clock. Default 5 minutes.
  explicit HybridClock(Clock* wall, int64_t max_ahead_ms = 5 * 60 * 1000);

  // A fresh stamp, greater than every stamp issued or merged before.
  uint64_t Now();
  // Merges a received stamp. Returns false (and ignores it) if it is more
  // than max_ahead_ms ahead of local wall time; the caller flags the record.
  bool Observe(uint64_t stamp);
  // Merges a stamp this node issued itself (its own head after a restart),
  // however far ahead: its own stamps must keep increasing even when the
  // wall clock was set back.
  void ObserveOwn(uint64_t stamp);

  Clock* wall() const { return wall_; }

 private:
  Clock* wall_;
  int64_t max_ahead_ms_;
  std::mutex mu_;
  uint64_t last_ = 0;
};

// Local calendar date ("YYYY-MM-DD") of a unix-ms instant, in the process's
// time zone (officials count deadlines in local days).
std::string LocalDate(int64_t unix_ms);

}  // namespace rectsync::node

#endif  // RECTSYNC_NODE_DAEMON_CLOCK_H_
