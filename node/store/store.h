// Store: one node's RocksDB database (DESIGN §6) and the only code that
// touches RocksDB. Column families, keys big-endian so scans are ordered:
//   records   origin \0 u64be(seq)  -> Record envelope (the signed bytes)
//   heads     origin                -> u64be(seq) id(32) u64be(hlc)
//   forks     origin \0 u64be(seq) \0 id -> conflicting Record envelope
//   problems  problem id            -> ProblemState
//   rollups   unit \0 counter key   -> int64 (merge operator: addition)
//   index     u/<unit>/\0<problem>  -> ""  (problems by responsible unit)
//             c/<parent>\0<child>   -> ""  (units with data, for drill-down)
//             f/<figure key>        -> FigureState
//             e/<origin>\0u64be(seq) -> "" (enrolment records held)
//             i/<inspection id>     -> record key of its InspectionOpened
//             a/<unit>              -> record key of its latest SummaryAttested
//             s/<unit>              -> latest summary-only SummaryAttested body of a unit
//             k/<origin>\0u64be(seq) -> "" (records stamped too far ahead)
//   peers     per-link sync progress and receipts (sync issue)
//   meta      identity, root key, config fingerprint
//
// Append() writes records, heads, derived state and rollups in one atomic
// WriteBatch, so after a crash the store is at a record boundary.
// Files: opening and writes in store.cc, reads in store_read.cc, the value
// layouts in store_codec.h, I/O faults in store_faults.cc.
// Thread-safety: reads are safe from any thread; Append must be serialised by
// the caller (the Node holds one writer lock).
// I/O errors: a write that fails (No space left on device, an I/O error)
// stores nothing of its batch, and from then on writes are refused with the
// same status, without touching RocksDB's failed write-ahead log, until
// DB::Resume succeeds (tried at most once a second, by the next write), so
// the store recovers by itself when space returns. Reads keep working.
// A full disk is ResourceExhausted ("No space left on device: the disk
// holding ... is full"), any other I/O error Unavailable.
#ifndef RECTSYNC_NODE_STORE_STORE_H_
#define RECTSYNC_NODE_STORE_STORE_H_

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "aggregator/derive.h"
#include "node/record/codec.h"
#include "node/store/head_table.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class WriteBatch;
}  // namespace rocksdb

namespace rectsync::store {

namespace v1 = ::rectsync::v1;
using aggregator::DecodedRecord;

struct StoreOptions {
  // fsync the write-ahead log on every Append, so an acknowledged write
  // survives power loss, not just a process crash. Default true.
  bool sync = true;
  // Block cache size in MiB. Default 64.
  size_t block_cache_mb = 64;
  // When the store cannot be opened for writing because of an I/O error
  // (a full disk), open it read-only instead: reads work, and every write
  // fails with WriteFault(). Off for the daemon, which waits for space.
  bool read_only_fallback = true;
};

// A record the caller has verified, with its envelope.
struct StoredRecord {
  v1::Record envelope;
  DecodedRecord decoded;
};

// True when `s` (from Store::Open) says another process holds the store:
// RocksDB's LOCK file is taken by a daemon or another CLI command.
bool InUseByAnotherProcess(const absl::Status& s);

class Store {
 public:
  // Opens or creates the database at `path`. While another process holds
  // it, the error satisfies InUseByAnotherProcess.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& path,
                                                     const StoreOptions& options = {});
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Appends verified records atomically. Each must chain from its origin's
  // stored head or from the record before it in the batch (re-checked here:
  // FailedPrecondition names the break, and nothing of the batch is written).
  // `check`, if set, sees each record with its problem's state after it
  // (nullptr if it concerns no problem) before anything is written, and may
  // refuse the whole batch (the node uses it to refuse local writes that
  // would only be authority violations).
  using AppendCheck =
      std::function<absl::Status(const DecodedRecord&, const v1::ProblemState* problem)>;
  absl::Status Append(const std::vector<StoredRecord>& batch, const AppendCheck& check = nullptr);

  // Written in the same WriteBatch as the records of an Append.
  struct AppendExtras {
    // Records of origins outside this node's subtree are held sparsely: only
    // those that concern the node, signature-checked one by one, with no
    // chain and no head. A record already held under its (origin, seq) with
    // the same id is skipped; with another id, Append fails (a fork).
    bool sparse = false;
    // peers column family puts (sync cursors, receipts).
    std::vector<std::pair<std::string, std::string>> peer_puts;
    // index column family puts (flags such as clock skew).
    std::vector<std::pair<std::string, std::string>> index_puts;
    // meta column family puts (a node's first state, with its first record).
    std::vector<std::pair<std::string, std::string>> meta_puts;
  };
  absl::Status Append(const std::vector<StoredRecord>& batch, const AppendCheck& check,
                      const AppendExtras& extras);

  // Keeps `env`, which conflicts with the held record at its (origin, seq),
  // as proof of a fork; the origin is frozen from then on.
  absl::Status RecordFork(const v1::Record& env, const DecodedRecord& record);
  struct Fork {
    std::string origin;
    uint64_t seq = 0;
    std::string other_id;  // id of the conflicting record kept as proof
    v1::Record other;
  };
  absl::StatusOr<std::vector<Fork>> Forks() const;
  // The lowest forked seq of `origin`, or 0 if it has no fork.
  absl::StatusOr<uint64_t> FrozenAt(const std::string& origin) const;

  // Heads are answered from memory (head_table.h); the heads column family
  // is what they are loaded from at open.
  absl::StatusOr<Head> GetHead(const std::string& origin) const;
  absl::StatusOr<std::vector<std::pair<std::string, Head>>> Heads() const;
  // Heads of `unit` and the origins below it.
  absl::StatusOr<std::vector<std::pair<std::string, Head>>> HeadsUnder(const std::string& unit) const;
  // The heads with their subtree digests and versions of change.
  const HeadTable& head_table() const { return head_table_; }
  // Counts the appends that stored a summary-only attestation from below,
  // since open: whoever relays them up looks again only when it moved.
  uint64_t summary_only_version() const { return summary_only_version_; }
  absl::StatusOr<std::optional<v1::Record>> GetRecord(const std::string& origin,
                                                      uint64_t seq) const;
  // Calls `fn` for the records of `origin` from seq `from` on, in order,
  // until it returns false.
  absl::Status ScanOrigin(const std::string& origin, uint64_t from,
                          const std::function<bool(uint64_t, const v1::Record&)>& fn) const;
  // The held record of `origin` with the highest seq <= `seq` (sparse
  // origins have gaps), as (seq, envelope); nullopt if none.
  absl::StatusOr<std::optional<std::pair<uint64_t, v1::Record>>> LastAtOrBefore(
      const std::string& origin, uint64_t seq) const;
  // Every record held, origin by origin.
  // `corrupt`, if set, is told of an envelope that does not parse (and the
  // scan goes on as it says); without it the scan fails with DataLoss.
  absl::Status ScanAll(
      const std::function<bool(const std::string&, uint64_t, const v1::Record&)>& fn,
      const std::function<bool(const std::string&, uint64_t)>& corrupt = nullptr) const;
  // Envelopes of the UnitEnrolled records held, enroller before enrolled.
  absl::StatusOr<std::vector<v1::Record>> Enrolments() const;

  absl::StatusOr<bool> HasInspection(const std::string& inspection_id) const;
  // Envelopes of the InspectionOpened records held, by inspection id.
  absl::StatusOr<std::vector<v1::Record>> Inspections() const;

  absl::StatusOr<std::optional<v1::ProblemState>> GetProblem(const std::string& id) const;
  // Problems whose responsible unit lies in `subtree`, by unit then id.
  absl::Status ScanProblems(const std::string& subtree,
                            const std::function<bool(const v1::ProblemState&)>& fn) const;
  // The same, starting after the problem (`after_unit`, `after_id`) — a page
  // token — when after_id is non-empty.
  absl::Status ScanProblems(const std::string& subtree, const std::string& after_unit,
                            const std::string& after_id,
                            const std::function<bool(const v1::ProblemState&)>& fn) const;
  // Figure states of units in `subtree`.
  absl::Status ScanFigures(const std::string& subtree,
                           const std::function<void(const v1::FigureState&)>& fn) const;
  // Record keys (origin, seq) of the latest SummaryAttested of each unit in
  // `subtree`, by unit.
  absl::StatusOr<std::vector<std::pair<std::string, uint64_t>>> Attestations(
      const std::string& subtree) const;
  absl::StatusOr<aggregator::Counters> GetRollup(const std::string& unit) const;
  // The counters a summary of `unit` answers from: its rollup plus the
  // latest attested counters of every summary-only unit in its subtree
  // (whose records this node does not hold).
  absl::StatusOr<aggregator::Counters> SummaryCounters(const std::string& unit) const;
  // Units directly below `unit` that have rollups.
  absl::StatusOr<std::vector<std::string>> ChildUnits(const std::string& unit) const;

  absl::StatusOr<std::optional<std::string>> GetMeta(const std::string& key) const;
  absl::Status PutMeta(const std::string& key, const std::string& value);
  // Several meta keys in one durable write: all or none.
  absl::Status PutMetas(const std::vector<std::pair<std::string, std::string>>& puts);

  // Sync bookkeeping (peers column family): cursors, receipts, link status.
  absl::StatusOr<std::optional<std::string>> GetPeer(const std::string& key) const;
  // `durable`: fsync (when the store syncs at all); bookkeeping that a crash
  // may lose harmlessly passes false.
  absl::Status PutPeer(const std::string& key, const std::string& value, bool durable = true);
  // Calls `fn` for every peers entry whose key starts with `prefix`.
  absl::Status ScanPeers(const std::string& prefix,
                         const std::function<void(const std::string&, const std::string&)>& fn) const;
  // Number of index entries whose key starts with `prefix`.
  absl::StatusOr<uint64_t> CountIndex(const std::string& prefix) const;

  // OK while writes go through; otherwise why they are refused (the last
  // failed write's status, or why the store was opened read-only).
  absl::Status WriteFault() const;
  // The same, after trying to resume writing when a write failed (at most
  // once a second): what a caller asks before work that ends in a write
  // (verifying a pushed batch), so that a full disk costs it nothing.
  absl::Status ReadyToWrite();
  bool read_only() const { return !read_only_.ok(); }

  rocksdb::DB* db() const { return db_.get(); }
  // The handle of column family `name` ("records", "heads", ... as listed
  // above), or nullptr. For tests and repair tools that must reach below
  // the Store's contract; owned by the Store.
  rocksdb::ColumnFamilyHandle* column_family(absl::string_view name) const;

 private:
  class StoredState;
  Store() = default;
  // The heads column family, read once at open into head_table_.
  absl::StatusOr<std::vector<std::pair<std::string, Head>>> ReadHeads() const;
  std::string GetOrEmpty(rocksdb::ColumnFamilyHandle* cf, const std::string& key,
                         absl::Status* status) const;
  // Every write goes through here (see I/O errors above). `durable`: fsync
  // when the store syncs at all.
  absl::Status Write(rocksdb::WriteBatch* batch, bool durable, absl::string_view what);

  StoreOptions options_;
  std::string path_;
  absl::Status read_only_;  // not OK: opened read-only, and why
  mutable std::mutex fault_mu_;
  absl::Status fault_;      // not OK: a write failed and writes are refused
  int64_t fault_at_ms_ = 0; // steady clock: the failure, or the last Resume tried
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* records_ = nullptr;
  rocksdb::ColumnFamilyHandle* heads_ = nullptr;
  rocksdb::ColumnFamilyHandle* forks_ = nullptr;
  rocksdb::ColumnFamilyHandle* problems_ = nullptr;
  rocksdb::ColumnFamilyHandle* rollups_ = nullptr;
  rocksdb::ColumnFamilyHandle* index_ = nullptr;
  rocksdb::ColumnFamilyHandle* peers_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  // Whether any summary-only attestation is held (most nodes hold none, and
  // their summaries then skip looking for them).
  std::atomic<bool> has_summary_only_{false};
  std::atomic<uint64_t> summary_only_version_{0};
  HeadTable head_table_;
};

// Key encodings, exposed for tests and tools.
std::string RecordKey(const std::string& origin, uint64_t seq);
std::string EncodeU64(uint64_t v);
uint64_t DecodeU64(absl::string_view bytes);

}  // namespace rectsync::store

#endif  // RECTSYNC_NODE_STORE_STORE_H_
