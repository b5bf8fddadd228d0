// HeadTable: the head of every origin a store holds in full, in memory. The
// Store keeps it beside its heads column family: loaded at open, moved after
// each Append's write has succeeded, so reads of heads never touch RocksDB.
//
// Besides the heads it keeps, for every unit, the digest of its subtree's
// frontier (FrontierDigest), and a version per head move. With them a sync
// heartbeat compares one digest instead of sending the whole frontier, and an
// attestation lists only the origins that moved since the last one: an idle
// link and an attestation cost what changed, not the size of the subtree
// (DESIGN §7, §8).
//
// Thread-safe: one mutex, held for memory work only.
#ifndef RECTSYNC_NODE_STORE_HEAD_TABLE_H_
#define RECTSYNC_NODE_STORE_HEAD_TABLE_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace rectsync::store {

struct Head {
  uint64_t seq = 0;  // 0: nothing held for the origin
  std::string id;
  uint64_t hlc = 0;
};

// The digest of a frontier, a set of (origin, seq, head id): the XOR of one
// BLAKE2b-256 hash per entry, so moving one origin's head updates it in O(1)
// (take the old entry's hash out, put the new one's in). Whoever holds the
// same frontier holds the same digest; an entry at seq 0 is no entry. A
// shortcut for comparing what two honest nodes hold, not a signature: what a
// parent answers for is still its signed receipts.
class FrontierDigest {
 public:
  static constexpr size_t kSize = 32;
  FrontierDigest() : bytes_(kSize, '\0') {}
  // One entry's hash; "" for seq 0 (no entry).
  static std::string EntryHash(absl::string_view origin, uint64_t seq, absl::string_view head);
  // Adds the entry whose EntryHash is `hash` if absent, removes it if present.
  void Toggle(absl::string_view hash);
  void Toggle(absl::string_view origin, uint64_t seq, absl::string_view head) {
    Toggle(EntryHash(origin, seq, head));
  }
  const std::string& bytes() const { return bytes_; }
  bool operator==(const FrontierDigest& o) const { return bytes_ == o.bytes_; }
  bool operator!=(const FrontierDigest& o) const { return bytes_ != o.bytes_; }

 private:
  std::string bytes_;
};

class HeadTable {
 public:
  using Heads = std::vector<std::pair<std::string, Head>>;

  // Replaces everything with `heads` (as read at open); they count as not
  // moved (version 0).
  void Reset(const Heads& heads);
  // Moves each origin's head to the given one (after the write holding
  // them succeeded). Each move takes the next version.
  void Move(const std::map<std::string, Head>& moved);

  Head Get(const std::string& origin) const;
  // Every head, by origin.
  Heads All() const;
  // Heads of `unit` and of the origins below it: the unit first, then by origin.
  Heads Under(const std::string& unit) const;
  // The digest of Under(unit).
  FrontierDigest DigestUnder(const std::string& unit) const;
  // The version of the latest move (0: none since Reset).
  uint64_t version() const;
  // Heads under `unit` that moved after `version`, by origin.
  Heads MovedSince(uint64_t version, const std::string& unit) const;

 private:
  struct Entry {
    Head head;
    uint64_t version = 0;
  };
  void MoveLocked(const std::string& origin, const Head& to);

  mutable std::mutex mu_;
  std::map<std::string, Entry> heads_;
  std::map<uint64_t, std::string> by_version_;  // moved origins, by their latest move
  std::unordered_map<std::string, FrontierDigest> digests_;  // unit -> its subtree's frontier
  uint64_t version_ = 0;
};

}  // namespace rectsync::store

#endif  // RECTSYNC_NODE_STORE_HEAD_TABLE_H_
