#include "node/store/store_faults.h"

#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <mutex>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "node/store/store.h"
#include "rocksdb/db.h"
#include "spdlog/spdlog.h"

namespace rectsync::store {
namespace {

constexpr absl::string_view kInUsePayload = "rectsync.store/in-use";

}  // namespace

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view context) {
  if (s.ok()) return absl::OkStatus();
  std::string msg = absl::StrCat(context, ": ", s.ToString());
  if (s.IsNotFound()) return absl::NotFoundError(msg);
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(msg);
  if (s.IsIOError() && absl::StrContains(s.ToString(), "lock")) {
    absl::Status busy = absl::UnavailableError(
        absl::StrCat(context, ": the store is in use by another process (is rectsyncd running?)"));
    busy.SetPayload(kInUsePayload, absl::Cord("1"));
    return busy;
  }
  if (s.IsIOError() || s.IsBusy() || s.IsTryAgain()) return absl::UnavailableError(msg);
  return absl::InternalError(msg);
}

namespace {

// RocksDB's informational log goes to the process's log (warnings and
// errors only), not to a LOG file in the store: RocksDB's own file logger
// asserts when it writes again after a failed write, so on a full disk
// every open of the store aborted, `whoami` and `verify` included.
class RocksLog : public rocksdb::Logger {
 public:
  RocksLog() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override { Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap); }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char line[1024];
    std::vsnprintf(line, sizeof line, format, ap);
    // As warnings: what matters reaches the caller as a status, and RocksDB
    // calls some routine events errors (a new store's missing directory).
    spdlog::warn("rocksdb: {}", line);
  }
};

// The store resumes writing itself (Store::Write calls DB::Resume once
// space returns); RocksDB's own recovery from a full disk waits for 64 MiB
// of free space per write buffer, which a small disk never has.
class ManualRecoveryListener : public rocksdb::EventListener {
 public:
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status, bool* auto_recovery) override {
    *auto_recovery = false;
  }
};

bool NoSpace(const rocksdb::Status& s) {
  return s.IsNoSpace() || absl::StrContains(s.ToString(), "No space left on device");
}

// Why writes are refused after `s` failed one, as the officer or the
// child reads it: the disk full named as such, and what happens next.
absl::Status WriteFailed(const rocksdb::Status& s, const std::string& path) {
  if (NoSpace(s)) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "No space left on device: the disk holding ", path,
        " is full, so nothing of this write was stored; writes resume by themselves once space is "
        "freed, and reads still work"));
  }
  return absl::UnavailableError(absl::StrCat(
      "I/O error writing the store at ", path, " (", s.ToString(),
      "): nothing of this write was stored; writes are retried once a second, and reads still work"));
}

int64_t SteadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}


}  // namespace

std::shared_ptr<rocksdb::Logger> ProcessLog() { return std::make_shared<RocksLog>(); }
std::shared_ptr<rocksdb::EventListener> ManualRecovery() { return std::make_shared<ManualRecoveryListener>(); }

absl::Status CannotOpenForWriting(const rocksdb::Status& s, const std::string& path, bool read_only) {
  const bool full = NoSpace(s);
  return absl::Status(
      full ? absl::StatusCode::kResourceExhausted : absl::StatusCode::kUnavailable,
      absl::StrCat("the store at ", path,
                   read_only ? " was opened read-only: " : " cannot be opened for writing: ",
                   full ? std::string("No space left on device: the disk holding it is full")
                        : absl::StrCat("I/O error (", s.ToString(), ")"),
                   read_only ? "; reads work, and writes are refused until space is freed and the "
                               "command (or rectsyncd) starts again"
                             : ""));
}

bool InUseByAnotherProcess(const absl::Status& s) { return s.GetPayload(kInUsePayload).has_value(); }

absl::Status Store::ReadyToWrite() {
  if (!read_only_.ok()) return read_only_;
  std::lock_guard<std::mutex> lock(fault_mu_);
  if (fault_.ok()) return absl::OkStatus();
  // Nothing more goes through the failed write-ahead log: RocksDB's writer
  // asserts when written again after an error. Once a second, Resume (a
  // flush and a fresh log) is tried; it fails while the disk is still full.
  const int64_t now = SteadyMillis();
  if (now - fault_at_ms_ < 1000) return fault_;
  fault_at_ms_ = now;
  if (!db_->Resume().ok()) return fault_;
  spdlog::info("store {}: writes resume after \"{}\"", path_, std::string(fault_.message()));
  fault_ = absl::OkStatus();
  return absl::OkStatus();
}

absl::Status Store::Write(rocksdb::WriteBatch* batch, bool durable, absl::string_view what) {
  if (absl::Status ready = ReadyToWrite(); !ready.ok()) {
    return absl::Status(ready.code(), absl::StrCat(what, ": ", ready.message()));
  }
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync && durable;
  rocksdb::Status s = db_->Write(wo, batch);
  if (s.ok()) return absl::OkStatus();
  if (!s.IsIOError()) return FromRocks(s, what);
  absl::Status failed = WriteFailed(s, path_);
  {
    std::lock_guard<std::mutex> lock(fault_mu_);
    if (fault_.ok()) {
      spdlog::warn("store {}: {}: {}", path_, std::string(what), std::string(failed.message()));
      fault_ = failed;
      fault_at_ms_ = SteadyMillis();
    }
  }
  return absl::Status(failed.code(), absl::StrCat(what, ": ", failed.message()));
}

absl::Status Store::WriteFault() const {
  if (!read_only_.ok()) return read_only_;
  std::lock_guard<std::mutex> lock(fault_mu_);
  return fault_;
}

}  // namespace rectsync::store
