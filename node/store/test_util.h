// Test helpers (header-only): scratch directories and a raw dump of a
// store's column families, for "nothing was written" and "reopen keeps
// everything" checks. Tests only; links RocksDB directly.
#ifndef RECTSYNC_NODE_STORE_TEST_UTIL_H_
#define RECTSYNC_NODE_STORE_TEST_UTIL_H_

#include <stdlib.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "node/store/store.h"
#include "rocksdb/db.h"

namespace rectsync::store::testing {

// A fresh directory under ::testing::TempDir(), removed with its contents
// on destruction.
class ScopedTempDir {
 public:
  explicit ScopedTempDir(const std::string& prefix = "rectsync") {
    std::string tmpl = ::testing::TempDir() + prefix + ".XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp " << tmpl << " failed";
    }
    path_ = tmpl;
  }
  ~ScopedTempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A small tmpfs of `size_mb` MiB mounted on a fresh directory (root only),
// unmounted on destruction: a real disk that fills. `error()` says why
// there is none (not root, or no mount permission in this container).
class ScopedTmpfs {
 public:
  explicit ScopedTmpfs(int size_mb) {
    const std::string opts = "size=" + std::to_string(size_mb) + "m,mode=0700";
    if (::mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, opts.c_str()) != 0) {
      error_ = std::string("mount tmpfs: ") + std::strerror(errno);
    } else {
      mounted_ = true;
    }
  }
  ~ScopedTmpfs() {
    if (mounted_) ::umount2(dir_.path().c_str(), MNT_DETACH);
  }
  ScopedTmpfs(const ScopedTmpfs&) = delete;
  ScopedTmpfs& operator=(const ScopedTmpfs&) = delete;

  const std::string& path() const { return dir_.path(); }
  const std::string& error() const { return error_; }

 private:
  ScopedTempDir dir_{"tmpfs"};
  bool mounted_ = false;
  std::string error_;
};

inline constexpr const char* kAllColumnFamilies[] = {
    "default", "records", "heads", "forks", "problems", "rollups", "index", "peers", "meta"};

// Every key and value of every column family: cf -> key -> value.
using StoreDump = std::map<std::string, std::map<std::string, std::string>>;

inline StoreDump Dump(const Store& store) {
  StoreDump out;
  for (const char* name : kAllColumnFamilies) {
    rocksdb::ColumnFamilyHandle* cf = store.column_family(name);
    if (cf == nullptr) {
      ADD_FAILURE() << "store has no column family " << name;
      continue;
    }
    std::unique_ptr<rocksdb::Iterator> it(store.db()->NewIterator(rocksdb::ReadOptions(), cf));
    auto& m = out[name];
    for (it->SeekToFirst(); it->Valid(); it->Next()) m[it->key().ToString()] = it->value().ToString();
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  }
  return out;
}

}  // namespace rectsync::store::testing

#endif  // RECTSYNC_NODE_STORE_TEST_UTIL_H_
