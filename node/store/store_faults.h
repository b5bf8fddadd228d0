// What the store does with RocksDB's statuses and I/O errors (store.h,
// "I/O errors"): the one mapping to absl statuses, RocksDB's log routed to
// the process log, the messages for a full disk, and the write gate.
// Internal to node/store.
#ifndef RECTSYNC_NODE_STORE_STORE_FAULTS_H_
#define RECTSYNC_NODE_STORE_STORE_FAULTS_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rocksdb/listener.h"
#include "rocksdb/status.h"

namespace rectsync::store {

// The one place RocksDB statuses become absl statuses.
absl::Status FromRocks(const rocksdb::Status& s, absl::string_view context);

// Options that keep a full disk from aborting the process and leave
// recovery to Store::ReadyToWrite: the log, and a listener that turns off
// RocksDB's own recovery.
std::shared_ptr<rocksdb::Logger> ProcessLog();
std::shared_ptr<rocksdb::EventListener> ManualRecovery();

// Why a store could not be opened for writing: a full disk is
// ResourceExhausted, any other I/O error Unavailable. `read_only`: and was
// opened read-only instead.
absl::Status CannotOpenForWriting(const rocksdb::Status& s, const std::string& path, bool read_only);

}  // namespace rectsync::store

#endif  // RECTSYNC_NODE_STORE_STORE_FAULTS_H_
