#include "node/sync/call_limits.h"

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace rectsync::sync {

CallLimits::CallLimits() : watchdog_([this] { Watch(); }) {}

CallLimits::~CallLimits() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  watchdog_.join();
}

std::chrono::steady_clock::time_point CallLimits::After(int64_t ms) const {
  return std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
}

uint64_t CallLimits::idle_cancelled() const {
  std::lock_guard<std::mutex> lock(mu_);
  return idle_cancelled_;
}

void CallLimits::Watch() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(200));
    const auto now = std::chrono::steady_clock::now();
    for (auto& [id, call] : calls_) {
      if (call.ctx == nullptr || call.deadline > now) continue;
      spdlog::warn("sync call from {} idle past its limit: cancelled",
                   call.unit.empty() ? call.ctx->peer() : call.unit);
      call.ctx->TryCancel();
      call.ctx = nullptr;  // cancelled once; the handler ends and unregisters
      ++idle_cancelled_;
    }
  }
}

CallLimits::Call::Call(CallLimits* limits, grpc::ServerContext* ctx, int64_t first_ms) : limits_(limits) {
  std::lock_guard<std::mutex> lock(limits_->mu_);
  id_ = limits_->next_id_++;
  limits_->calls_[id_] = Watched{ctx, limits_->After(first_ms), ""};
}

CallLimits::Call::~Call() {
  std::lock_guard<std::mutex> lock(limits_->mu_);
  auto it = limits_->calls_.find(id_);
  if (!it->second.unit.empty() && --limits_->calls_by_unit_[it->second.unit] == 0) {
    limits_->calls_by_unit_.erase(it->second.unit);
  }
  limits_->calls_.erase(it);
}

void CallLimits::Call::Touch(int64_t ms) {
  std::lock_guard<std::mutex> lock(limits_->mu_);
  limits_->calls_[id_].deadline = limits_->After(ms);
}

absl::Status CallLimits::Call::Claim(const std::string& unit) {
  std::lock_guard<std::mutex> lock(limits_->mu_);
  Watched& call = limits_->calls_[id_];
  if (!call.unit.empty()) return absl::OkStatus();
  int& held = limits_->calls_by_unit_[unit];
  if (held >= kMaxCallsPerUnit) {
    return absl::ResourceExhaustedError(absl::StrCat("unit \"", unit, "\" already has ", held,
                                                     " sync calls open here (at most ", kMaxCallsPerUnit,
                                                     "); close one, or retry later"));
  }
  ++held;
  call.unit = unit;
  return absl::OkStatus();
}

}  // namespace rectsync::sync
