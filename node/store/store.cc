#include "node/store/store.h"

#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "aggregator/derive.h"
#include "aggregator/status_macros.h"
#include "aggregator/unit_id.h"
#include "node/record/trust.h"
#include "node/store/store_codec.h"
#include "node/store/store_faults.h"
#include "rocksdb/db.h"
#include "rocksdb/merge_operator.h"
#include "rocksdb/table.h"
#include "rocksdb/cache.h"
#include "rocksdb/write_batch.h"
#include "spdlog/spdlog.h"

namespace rectsync::store {
namespace {

// Rollup counters are int64 sums: deltas merge without a read.
class Int64AddOperator : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice&, const rocksdb::Slice* existing, const rocksdb::Slice& value,
             std::string* new_value, rocksdb::Logger*) const override {
    *new_value = EncodeI64((existing ? DecodeI64(*existing) : 0) + DecodeI64(value));
    return true;
  }
  const char* Name() const override { return "rectsync.Int64Add"; }
};

const char* const kColumnFamilies[] = {"default", "records", "heads", "forks", "problems",
                                       "rollups", "index",   "peers", "meta"};

}  // namespace


std::string EncodeU64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xff);
  return out;
}

uint64_t DecodeU64(absl::string_view b) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < b.size(); ++i) v = v << 8 | static_cast<unsigned char>(b[i]);
  return v;
}

std::string RecordKey(const std::string& origin, uint64_t seq) {
  return absl::StrCat(origin, absl::string_view("\0", 1), EncodeU64(seq));
}

// Derived state as stored, for a Derivation (which keeps the batch's own
// changes in front of it).
class Store::StoredState : public aggregator::StateReader {
 public:
  explicit StoredState(const Store* store) : store_(store) {}

  absl::StatusOr<std::optional<v1::ProblemState>> Problem(const std::string& id) override {
    return store_->GetProblem(id);
  }
  absl::StatusOr<DecodedRecord> Record(const v1::FoldKey& key) override {
    ASSIGN_OR_RETURN(std::optional<v1::Record> env, store_->GetRecord(key.origin(), key.seq()));
    if (!env) {
      return absl::DataLossError(absl::StrCat("record ", key.origin(), "#", key.seq(),
                                              " is in a problem's history but not stored"));
    }
    return record::Decode(*env);
  }
  absl::StatusOr<std::optional<v1::FigureState>> Figure(const std::string& key) override {
    absl::Status status;
    std::string v = store_->GetOrEmpty(store_->index_, absl::StrCat("f/", key), &status);
    RETURN_IF_ERROR(status);
    if (v.empty()) return std::nullopt;
    return ParseStored<v1::FigureState>(v, "figure");
  }

 private:
  const Store* store_;
};

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path,
                                                   const StoreOptions& options) {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.info_log = ProcessLog();
  db_options.listeners.push_back(ManualRecovery());
  rocksdb::ColumnFamilyOptions cf_options;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_mb << 20);
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const char* name : kColumnFamilies) {
    rocksdb::ColumnFamilyOptions o = cf_options;
    if (std::string(name) == "rollups") o.merge_operator = std::make_shared<Int64AddOperator>();
    cfs.emplace_back(name, o);
  }
  std::unique_ptr<Store> store(new Store());
  store->options_ = options;
  store->path_ = path;
  // A directory that exists spares RocksDB's log an "error" for a new store.
  std::error_code ignored;
  std::filesystem::create_directories(path, ignored);
  rocksdb::DB* db = nullptr;
  rocksdb::Status opened = rocksdb::DB::Open(db_options, path, cfs, &store->handles_, &db);
  if (!opened.ok() && opened.IsIOError() && !InUseByAnotherProcess(FromRocks(opened, "")) &&
      std::filesystem::exists(path + "/CURRENT")) {
    // A full disk (or a failing one) still lets the officer read: whoami,
    // verify, summaries. Writes are refused with the reason.
    absl::Status why = CannotOpenForWriting(opened, path, options.read_only_fallback);
    if (!options.read_only_fallback) return why;
    store->read_only_ = why;
    store->handles_.clear();
    opened = rocksdb::DB::OpenForReadOnly(db_options, path, cfs, &store->handles_, &db);
    if (opened.ok()) spdlog::warn("{}", std::string(why.message()));
  }
  RETURN_IF_ERROR(FromRocks(opened, "open store"));
  store->db_.reset(db);
  auto& h = store->handles_;
  store->records_ = h[1];
  store->heads_ = h[2];
  store->forks_ = h[3];
  store->problems_ = h[4];
  store->rollups_ = h[5];
  store->index_ = h[6];
  store->peers_ = h[7];
  store->meta_ = h[8];
  {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), store->index_));
    it->Seek("s/");
    store->has_summary_only_ = it->Valid() && it->key().starts_with("s/");
  }
  ASSIGN_OR_RETURN(HeadTable::Heads heads, store->ReadHeads());
  store->head_table_.Reset(heads);
  return store;
}

Store::~Store() {
  if (!db_) return;
  // Flushing the memtables on a clean close spares the next open a replay
  // of the write-ahead log (seconds after a large backlog).
  if (read_only_.ok() && WriteFault().ok()) {
    db_->Flush(rocksdb::FlushOptions(), handles_).PermitUncheckedError();
  }
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  db_->Close();
}

rocksdb::ColumnFamilyHandle* Store::column_family(absl::string_view name) const {
  for (size_t i = 0; i < handles_.size(); ++i) {
    if (name == kColumnFamilies[i]) return handles_[i];
  }
  return nullptr;
}

std::string Store::GetOrEmpty(rocksdb::ColumnFamilyHandle* cf, const std::string& key,
                              absl::Status* status) const {
  std::string v;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf, key, &v);
  if (s.IsNotFound()) return "";
  *status = FromRocks(s, "read");
  return v;
}

absl::Status Store::Append(const std::vector<StoredRecord>& batch, const AppendCheck& check) {
  return Append(batch, check, AppendExtras{});
}

absl::Status Store::Append(const std::vector<StoredRecord>& batch, const AppendCheck& check,
                           const AppendExtras& extras) {
  StoredState stored(this);
  aggregator::Derivation derivation(stored);
  rocksdb::WriteBatch wb;
  bool wrote_summary_only = false;   // a unit's latest summary-only attestation
  bool stored_summary_only = false;  // any summary-only attestation from below
  std::map<std::string, Head> heads;
  std::set<std::string> sparse_keys;  // records of a sparse batch, once each
  for (const StoredRecord& rec : batch) {
    const DecodedRecord& r = rec.decoded;
    const std::string& origin = r.body.origin();
    const std::string key = RecordKey(origin, r.body.seq());
    if (extras.sparse) {
      if (!sparse_keys.insert(key).second) continue;
      ASSIGN_OR_RETURN(std::optional<v1::Record> held, GetRecord(origin, r.body.seq()));
      if (held) {
        if (record::RecordId(*held) == r.id) continue;
        return absl::FailedPreconditionError(absl::StrCat(
            "record ", record::Describe(r.body), " conflicts with the record held at that seq"));
      }
    } else {
      auto head_it = heads.find(origin);
      if (head_it == heads.end()) {
        ASSIGN_OR_RETURN(Head h, GetHead(origin));
        head_it = heads.emplace(origin, h).first;
      }
      RETURN_IF_ERROR(record::CheckLink(r, head_it->second.seq, head_it->second.id));
      head_it->second = Head{r.body.seq(), r.id, r.body.hlc()};
    }

    ASSIGN_OR_RETURN(const v1::ProblemState* problem, derivation.Add(r));
    if (check) RETURN_IF_ERROR(check(r, problem));

    wb.Put(records_, key, rec.envelope.SerializeAsString());
    if (record::IsTrustRecord(r.body)) wb.Put(index_, absl::StrCat("e/", key), "");
    if (r.body.has_summary_attested()) {
      const v1::SummaryAttested& a = r.body.summary_attested();
      wb.Put(index_, absl::StrCat("a/", a.unit()), key);
      // Held sparsely means held instead of the subtree's records: a
      // summary-only uplink from below. (The attester's own copy is not.)
      if (a.summary_only() && extras.sparse) {
        stored_summary_only = true;
        // Latest by fold order wins, so replicas agree whatever the order.
        const std::string so_key = absl::StrCat("s/", a.unit());
        absl::Status status;
        std::string held = GetOrEmpty(index_, so_key, &status);
        RETURN_IF_ERROR(status);
        v1::RecordBody before;
        if (held.empty() || !before.ParseFromString(held) ||
            aggregator::FoldLess(aggregator::KeyOf(before), aggregator::KeyOf(r.body))) {
          wb.Put(index_, so_key, r.body.SerializeAsString());
          wrote_summary_only = true;
        }
        for (std::string u = a.unit(); !aggregator::ParentUnit(u).empty(); u = aggregator::ParentUnit(u)) {
          wb.Put(index_, absl::StrCat("c/", aggregator::ParentUnit(u), absl::string_view("\0", 1), u), "");
        }
      }
    }
    if (r.body.has_inspection_opened()) {
      wb.Put(index_, absl::StrCat("i/", r.body.inspection_opened().inspection_id()), key);
    }
  }
  // Derived state once per batch: each touched problem's and figure's state
  // after it, its listing moved if its unit did, one rollup delta.
  const aggregator::StateChanges changes = std::move(derivation).Finish();
  for (const auto& [id, change] : changes.problems) {
    const std::optional<v1::ProblemState>& before = change.before;
    const v1::ProblemState& state = change.after;
    if (before && before->raised() && before->unit() != state.unit()) {
      wb.Delete(index_, ProblemIndexKey(before->unit(), id));
    }
    if (state.raised() && (!before || !before->raised() || before->unit() != state.unit())) {
      wb.Put(index_, ProblemIndexKey(state.unit(), id), "");
    }
    wb.Put(problems_, id, state.SerializeAsString());
  }
  for (const auto& [origin, h] : heads) wb.Put(heads_, origin, EncodeHead(h));
  for (const auto& [k, f] : changes.figures) wb.Put(index_, absl::StrCat("f/", k), f.SerializeAsString());
  for (const auto& [unit, counters] : changes.rollups) {
    if (counters.empty()) continue;
    for (const auto& [k, v] : counters) {
      wb.Merge(rollups_, absl::StrCat(unit, absl::string_view("\0", 1), k), EncodeI64(v));
    }
    std::string parent = aggregator::ParentUnit(unit);
    if (!parent.empty()) {
      wb.Put(index_, absl::StrCat("c/", parent, absl::string_view("\0", 1), unit), "");
    }
  }
  for (const auto& [k, v] : extras.peer_puts) wb.Put(peers_, k, v);
  for (const auto& [k, v] : extras.index_puts) wb.Put(index_, k, v);
  for (const auto& [k, v] : extras.meta_puts) wb.Put(meta_, k, v);
  RETURN_IF_ERROR(Write(&wb, /*durable=*/true, "append records"));
  head_table_.Move(heads);
  if (wrote_summary_only) has_summary_only_ = true;
  if (stored_summary_only) ++summary_only_version_;
  return absl::OkStatus();
}

absl::Status Store::RecordFork(const v1::Record& env, const DecodedRecord& r) {
  const std::string key = absl::StrCat(RecordKey(r.body.origin(), r.body.seq()),
                                       absl::string_view("\0", 1), r.id);
  rocksdb::WriteBatch wb;
  wb.Put(forks_, key, env.SerializeAsString());
  return Write(&wb, /*durable=*/true, "record fork");
}

absl::Status Store::PutPeer(const std::string& key, const std::string& value, bool durable) {
  rocksdb::WriteBatch wb;
  wb.Put(peers_, key, value);
  return Write(&wb, durable, absl::StrCat("write peer entry ", key));
}

absl::Status Store::PutMetas(const std::vector<std::pair<std::string, std::string>>& puts) {
  rocksdb::WriteBatch wb;
  for (const auto& [k, v] : puts) wb.Put(meta_, k, v);
  return Write(&wb, /*durable=*/true, "write meta");
}

absl::Status Store::PutMeta(const std::string& key, const std::string& value) {
  rocksdb::WriteBatch wb;
  wb.Put(meta_, key, value);
  return Write(&wb, /*durable=*/true, absl::StrCat("write meta ", key));
}

}  // namespace rectsync::store
