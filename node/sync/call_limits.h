// Limits on the Sync calls a parent serves, so that a hostile or broken
// child cannot take the node down or starve the other children:
//  - a call that neither receives nor sends for its idle limit is cancelled
//    (a stream opened that sends nothing, a reader that stops reading);
//  - one unit holds at most kMaxCallsPerUnit calls at once, counted from
//    its verified hello;
//  - a long poll waits at most kMaxPullWaitMs, whatever the child asks.
// The process-wide bounds (threads, streams per connection, message size)
// are set on the server builder (credentials.h, ConfigureServer).
// Thread-safe. A watchdog thread runs for the life of the object.
#ifndef RECTSYNC_NODE_SYNC_CALL_LIMITS_H_
#define RECTSYNC_NODE_SYNC_CALL_LIMITS_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include <grpcpp/server_context.h>

#include "absl/status/status.h"

namespace rectsync::sync {

inline constexpr int kMaxCallsPerUnit = 8;
inline constexpr int64_t kMaxPullWaitMs = 60000;
inline constexpr int64_t kFirstMessageMs = 10000;  // a push stream's first message (its hello)
inline constexpr int64_t kIdleMs = 30000;          // between messages, once the call is going

class CallLimits {
 public:
  CallLimits();
  ~CallLimits();
  CallLimits(const CallLimits&) = delete;
  CallLimits& operator=(const CallLimits&) = delete;

  // One call, watched while it lives. The first limit is `first_ms`.
  class Call {
   public:
    Call(CallLimits* limits, grpc::ServerContext* ctx, int64_t first_ms);
    ~Call();
    Call(const Call&) = delete;
    Call& operator=(const Call&) = delete;
    // Something was received or sent: the call may idle `ms` more (default kIdleMs).
    void Touch(int64_t ms = kIdleMs);
    // The call belongs to `unit` (its hello verified). ResourceExhausted,
    // naming the unit and the bound, when the unit holds too many already.
    absl::Status Claim(const std::string& unit);

   private:
    CallLimits* limits_;
    uint64_t id_;
  };

  // Calls cancelled for idling since start.
  uint64_t idle_cancelled() const;

 private:
  struct Watched {
    grpc::ServerContext* ctx;
    std::chrono::steady_clock::time_point deadline;
    std::string unit;
  };
  void Watch();
  std::chrono::steady_clock::time_point After(int64_t ms) const;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;                         // guarded by mu_
  uint64_t next_id_ = 0;                      // guarded by mu_
  uint64_t idle_cancelled_ = 0;               // guarded by mu_
  std::map<uint64_t, Watched> calls_;         // guarded by mu_
  std::map<std::string, int> calls_by_unit_;  // guarded by mu_
  std::thread watchdog_;
};

}  // namespace rectsync::sync

#endif  // RECTSYNC_NODE_SYNC_CALL_LIMITS_H_
