#include "node/store/store.h"

#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <map>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "aggregator/derive.h"
#include "aggregator/status_macros.h"
#include "aggregator/unit_id.h"
#include "node/record/trust.h"
#include "node/store/store_faults.h"
#include "rocksdb/db.h"
#include "rocksdb/merge_operator.h"
#include "rocksdb/table.h"
#include "rocksdb/cache.h"
#include "rocksdb/write_batch.h"
#include "spdlog/spdlog.h"

namespace rectsync::store {
namespace {

std::string EncodeI64(int64_t v) {
  std::string out(8, '\0');
  uint64_t u = static_cast<uint64_t>(v);
  for (int i = 0; i < 8; ++i, u >>= 8) out[i] = static_cast<char>(u & 0xff);
  return out;
}

int64_t DecodeI64(const rocksdb::Slice& s) {
  if (s.size() != 8) return 0;
  uint64_t u = 0;
  for (int i = 7; i >= 0; --i) u = u << 8 | static_cast<unsigned char>(s.data()[i]);
  return static_cast<int64_t>(u);
}

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

std::string EncodeHead(const Head& h) {
  return absl::StrCat(EncodeU64(h.seq), h.id, EncodeU64(h.hlc));
}

absl::StatusOr<Head> DecodeHead(const std::string& origin, absl::string_view v) {
  if (v.size() != 8 + record::kIdSize + 8) {
    return absl::DataLossError(absl::StrCat("head of \"", origin, "\" is malformed"));
  }
  Head h;
  h.seq = DecodeU64(v.substr(0, 8));
  h.id = std::string(v.substr(8, record::kIdSize));
  h.hlc = DecodeU64(v.substr(8 + record::kIdSize));
  return h;
}

std::string ProblemIndexKey(const std::string& unit, const std::string& id) {
  return absl::StrCat("u/", unit, "/", absl::string_view("\0", 1), id);
}

template <typename Message>
absl::StatusOr<Message> ParseStored(absl::string_view bytes, absl::string_view what) {
  Message m;
  if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(absl::StrCat("stored ", what, " does not parse"));
  }
  return m;
}

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

// Reads through the batch being built: records, problem and figure states
// written earlier in the same batch shadow the database.
class Store::BatchReader : public aggregator::StateReader {
 public:
  explicit BatchReader(const Store* store) : store_(store) {}

  absl::StatusOr<std::optional<v1::ProblemState>> Problem(const std::string& id) override {
    if (auto it = problems.find(id); it != problems.end()) return it->second;
    return store_->GetProblem(id);
  }
  absl::StatusOr<DecodedRecord> Record(const v1::FoldKey& key) override {
    if (auto it = records.find(RecordKey(key.origin(), key.seq())); it != records.end()) {
      return *it->second;
    }
    ASSIGN_OR_RETURN(std::optional<v1::Record> env, store_->GetRecord(key.origin(), key.seq()));
    if (!env) {
      return absl::DataLossError(absl::StrCat("record ", key.origin(), "#", key.seq(),
                                              " is in a problem's history but not stored"));
    }
    return record::Decode(*env);
  }
  absl::StatusOr<std::optional<v1::FigureState>> Figure(const std::string& key) override {
    if (auto it = figures.find(key); it != figures.end()) return it->second;
    absl::Status status;
    std::string v = store_->GetOrEmpty(store_->index_, absl::StrCat("f/", key), &status);
    RETURN_IF_ERROR(status);
    if (v.empty()) return std::nullopt;
    return ParseStored<v1::FigureState>(v, "figure");
  }

  std::map<std::string, const DecodedRecord*> records;
  std::map<std::string, v1::ProblemState> problems;
  std::map<std::string, v1::FigureState> figures;

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
  BatchReader reader(this);
  rocksdb::WriteBatch wb;
  bool wrote_summary_only = false;
  std::map<std::string, Head> heads;
  aggregator::RollupDelta rollups;
  for (const StoredRecord& rec : batch) {
    const DecodedRecord& r = rec.decoded;
    const std::string& origin = r.body.origin();
    const std::string key = RecordKey(origin, r.body.seq());
    if (extras.sparse) {
      if (reader.records.count(key)) continue;
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

    const std::string& problem_id = aggregator::ProblemOf(r.body);
    std::optional<v1::ProblemState> before;
    if (!problem_id.empty()) {
      ASSIGN_OR_RETURN(before, reader.Problem(problem_id));
    }
    ASSIGN_OR_RETURN(aggregator::StateChanges changes, aggregator::Derive(r, reader));
    if (check) RETURN_IF_ERROR(check(r, changes));

    wb.Put(records_, key, rec.envelope.SerializeAsString());
    reader.records[key] = &r;
    if (record::IsTrustRecord(r.body)) wb.Put(index_, absl::StrCat("e/", key), "");
    if (r.body.has_summary_attested()) {
      const v1::SummaryAttested& a = r.body.summary_attested();
      wb.Put(index_, absl::StrCat("a/", a.unit()), key);
      // Held sparsely means held instead of the subtree's records: a
      // summary-only uplink from below. (The attester's own copy is not.)
      if (a.summary_only() && extras.sparse) {
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
    for (auto& [id, state] : changes.problems) {
      if (before && before->raised() && before->unit() != state.unit()) {
        wb.Delete(index_, ProblemIndexKey(before->unit(), id));
      }
      if (state.raised() && (!before || !before->raised() || before->unit() != state.unit())) {
        wb.Put(index_, ProblemIndexKey(state.unit(), id), "");
      }
      reader.problems[id] = std::move(state);
    }
    for (auto& [k, f] : changes.figures) reader.figures[k] = std::move(f);
    for (const auto& [unit, delta] : changes.rollups) aggregator::Accumulate(delta, &rollups[unit]);
  }
  for (const auto& [origin, h] : heads) wb.Put(heads_, origin, EncodeHead(h));
  for (const auto& [id, state] : reader.problems) wb.Put(problems_, id, state.SerializeAsString());
  for (const auto& [k, f] : reader.figures) wb.Put(index_, absl::StrCat("f/", k), f.SerializeAsString());
  for (auto& [unit, counters] : rollups) {
    aggregator::Prune(&counters);
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
  if (wrote_summary_only) has_summary_only_ = true;
  return absl::OkStatus();
}

absl::Status Store::RecordFork(const v1::Record& env, const DecodedRecord& r) {
  const std::string key = absl::StrCat(RecordKey(r.body.origin(), r.body.seq()),
                                       absl::string_view("\0", 1), r.id);
  rocksdb::WriteBatch wb;
  wb.Put(forks_, key, env.SerializeAsString());
  return Write(&wb, /*durable=*/true, "record fork");
}

absl::StatusOr<std::vector<Store::Fork>> Store::Forks() const {
  std::vector<Fork> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), forks_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    absl::string_view key(it->key().data(), it->key().size());
    // origin \0 u64be(seq) \0 id(32)
    const size_t tail = 1 + 8 + 1 + record::kIdSize;
    if (key.size() <= tail) return absl::DataLossError("malformed fork key in store");
    Fork f;
    f.origin = std::string(key.substr(0, key.size() - tail));
    f.seq = DecodeU64(key.substr(key.size() - tail + 1, 8));
    f.other_id = std::string(key.substr(key.size() - record::kIdSize));
    ASSIGN_OR_RETURN(f.other, ParseStored<v1::Record>(
                                  absl::string_view(it->value().data(), it->value().size()), "fork"));
    out.push_back(std::move(f));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "scan forks"));
  return out;
}

absl::StatusOr<uint64_t> Store::FrozenAt(const std::string& origin) const {
  const std::string prefix = absl::StrCat(origin, absl::string_view("\0", 1));
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), forks_));
  it->Seek(prefix);
  uint64_t seq = 0;
  if (it->Valid() && it->key().starts_with(prefix) && it->key().size() >= prefix.size() + 8) {
    seq = DecodeU64(absl::string_view(it->key().data() + prefix.size(), 8));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "read forks"));
  return seq;
}

absl::StatusOr<std::vector<std::pair<std::string, Head>>> Store::HeadsUnder(
    const std::string& unit) const {
  std::vector<std::pair<std::string, Head>> out;
  ASSIGN_OR_RETURN(Head own, GetHead(unit));
  if (own.seq > 0) out.emplace_back(unit, own);
  const std::string prefix = absl::StrCat(unit, "/");
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), heads_));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string origin = it->key().ToString();
    ASSIGN_OR_RETURN(Head h, DecodeHead(origin, absl::string_view(it->value().data(), it->value().size())));
    out.emplace_back(std::move(origin), std::move(h));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "scan heads"));
  return out;
}

absl::StatusOr<std::optional<std::string>> Store::GetPeer(const std::string& key) const {
  absl::Status status;
  std::string v;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), peers_, key, &v);
  if (s.IsNotFound()) return std::nullopt;
  RETURN_IF_ERROR(FromRocks(s, absl::StrCat("read peer entry ", key)));
  return v;
}

absl::Status Store::PutPeer(const std::string& key, const std::string& value, bool durable) {
  rocksdb::WriteBatch wb;
  wb.Put(peers_, key, value);
  return Write(&wb, durable, absl::StrCat("write peer entry ", key));
}

absl::Status Store::ScanPeers(
    const std::string& prefix,
    const std::function<void(const std::string&, const std::string&)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), peers_));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    fn(it->key().ToString(), it->value().ToString());
  }
  return FromRocks(it->status(), "scan peers");
}

absl::StatusOr<uint64_t> Store::CountIndex(const std::string& prefix) const {
  uint64_t n = 0;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), index_));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) ++n;
  RETURN_IF_ERROR(FromRocks(it->status(), "count index"));
  return n;
}

absl::StatusOr<Head> Store::GetHead(const std::string& origin) const {
  absl::Status status;
  std::string v = GetOrEmpty(heads_, origin, &status);
  RETURN_IF_ERROR(status);
  if (v.empty()) return Head{};
  return DecodeHead(origin, v);
}

absl::StatusOr<std::vector<std::pair<std::string, Head>>> Store::Heads() const {
  std::vector<std::pair<std::string, Head>> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), heads_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string origin = it->key().ToString();
    ASSIGN_OR_RETURN(Head h, DecodeHead(origin, absl::string_view(it->value().data(), it->value().size())));
    out.emplace_back(std::move(origin), std::move(h));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "scan heads"));
  return out;
}

absl::StatusOr<std::optional<v1::Record>> Store::GetRecord(const std::string& origin,
                                                           uint64_t seq) const {
  absl::Status status;
  std::string v = GetOrEmpty(records_, RecordKey(origin, seq), &status);
  RETURN_IF_ERROR(status);
  if (v.empty()) return std::nullopt;
  return ParseStored<v1::Record>(v, "record");
}

absl::Status Store::ScanOrigin(const std::string& origin, uint64_t from,
                               const std::function<bool(uint64_t, const v1::Record&)>& fn) const {
  const std::string prefix = absl::StrCat(origin, absl::string_view("\0", 1));
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), records_));
  for (it->Seek(RecordKey(origin, from)); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    ASSIGN_OR_RETURN(v1::Record env, ParseStored<v1::Record>(
                                         absl::string_view(it->value().data(), it->value().size()),
                                         "record"));
    if (!fn(DecodeU64(absl::string_view(it->key().data() + prefix.size(), 8)), env)) break;
  }
  return FromRocks(it->status(), "scan records");
}

absl::StatusOr<std::optional<std::pair<uint64_t, v1::Record>>> Store::LastAtOrBefore(
    const std::string& origin, uint64_t seq) const {
  const std::string prefix = absl::StrCat(origin, absl::string_view("\0", 1));
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), records_));
  it->SeekForPrev(RecordKey(origin, seq));
  RETURN_IF_ERROR(FromRocks(it->status(), "seek record"));
  if (!it->Valid() || !it->key().starts_with(prefix) || it->key().size() != prefix.size() + 8) {
    return std::nullopt;
  }
  ASSIGN_OR_RETURN(v1::Record env, ParseStored<v1::Record>(
                                       absl::string_view(it->value().data(), it->value().size()),
                                       "record"));
  return std::make_pair(DecodeU64(absl::string_view(it->key().data() + prefix.size(), 8)),
                        std::move(env));
}

absl::Status Store::ScanAll(
    const std::function<bool(const std::string&, uint64_t, const v1::Record&)>& fn,
    const std::function<bool(const std::string&, uint64_t)>& corrupt) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), records_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    absl::string_view key(it->key().data(), it->key().size());
    if (key.size() < 9 || key[key.size() - 9] != '\0') {
      return absl::DataLossError("malformed record key in store");
    }
    std::string origin(key.substr(0, key.size() - 9));
    const uint64_t seq = DecodeU64(key.substr(key.size() - 8));
    absl::StatusOr<v1::Record> env = ParseStored<v1::Record>(
        absl::string_view(it->value().data(), it->value().size()), absl::StrCat("record ", origin));
    if (!env.ok()) {
      if (!corrupt) return env.status();
      if (!corrupt(origin, seq)) break;
      continue;
    }
    if (!fn(origin, seq, *env)) break;
  }
  return FromRocks(it->status(), "scan records");
}

absl::StatusOr<std::vector<v1::Record>> Store::Enrolments() const {
  std::vector<v1::Record> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), index_));
  for (it->Seek("e/"); it->Valid() && it->key().starts_with("e/"); it->Next()) {
    absl::string_view key(it->key().data() + 2, it->key().size() - 2);
    if (key.size() < 9) return absl::DataLossError("malformed enrolment index key");
    std::string origin(key.substr(0, key.size() - 9));
    ASSIGN_OR_RETURN(std::optional<v1::Record> env,
                     GetRecord(origin, DecodeU64(key.substr(key.size() - 8))));
    if (!env) return absl::DataLossError("enrolment index names a record that is not stored");
    out.push_back(std::move(*env));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "scan enrolments"));
  return out;
}

absl::StatusOr<std::vector<v1::Record>> Store::Inspections() const {
  std::vector<v1::Record> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), index_));
  for (it->Seek("i/"); it->Valid() && it->key().starts_with("i/"); it->Next()) {
    absl::Status status;
    std::string v = GetOrEmpty(records_, it->value().ToString(), &status);
    RETURN_IF_ERROR(status);
    if (v.empty()) return absl::DataLossError("inspection index names a record that is not stored");
    ASSIGN_OR_RETURN(v1::Record env, ParseStored<v1::Record>(v, "inspection record"));
    out.push_back(std::move(env));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "scan inspections"));
  return out;
}

absl::StatusOr<bool> Store::HasInspection(const std::string& inspection_id) const {
  absl::Status status;
  std::string v = GetOrEmpty(index_, absl::StrCat("i/", inspection_id), &status);
  RETURN_IF_ERROR(status);
  return !v.empty();
}

absl::StatusOr<std::optional<v1::ProblemState>> Store::GetProblem(const std::string& id) const {
  absl::Status status;
  std::string v = GetOrEmpty(problems_, id, &status);
  RETURN_IF_ERROR(status);
  if (v.empty()) return std::nullopt;
  return ParseStored<v1::ProblemState>(v, absl::StrCat("problem ", id));
}

absl::Status Store::ScanProblems(const std::string& subtree,
                                 const std::function<bool(const v1::ProblemState&)>& fn) const {
  return ScanProblems(subtree, "", "", fn);
}

absl::Status Store::ScanProblems(const std::string& subtree, const std::string& after_unit,
                                 const std::string& after_id,
                                 const std::function<bool(const v1::ProblemState&)>& fn) const {
  const std::string prefix = subtree.empty() ? "u/" : absl::StrCat("u/", subtree, "/");
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), index_));
  if (after_id.empty()) {
    it->Seek(prefix);
  } else {
    const std::string after = ProblemIndexKey(after_unit, after_id);
    it->Seek(after);
    if (it->Valid() && it->key() == after) it->Next();
  }
  for (; it->Valid() && it->key().starts_with(prefix); it->Next()) {
    absl::string_view key(it->key().data(), it->key().size());
    size_t nul = key.find('\0');
    if (nul == absl::string_view::npos) return absl::DataLossError("malformed problem index key");
    std::string id(key.substr(nul + 1));
    ASSIGN_OR_RETURN(std::optional<v1::ProblemState> state, GetProblem(id));
    if (!state) return absl::DataLossError(absl::StrCat("index names unknown problem ", id));
    if (!fn(*state)) break;
  }
  return FromRocks(it->status(), "scan problems");
}

absl::Status Store::ScanFigures(const std::string& subtree,
                                const std::function<void(const v1::FigureState&)>& fn) const {
  // Figure keys are "f/<unit>\n<period>\n<indicator>": the unit itself,
  // then the units below it ("<unit>/...").
  for (const std::string& prefix : {absl::StrCat("f/", subtree, "\n"), absl::StrCat("f/", subtree, "/")}) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), index_));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      ASSIGN_OR_RETURN(v1::FigureState f, ParseStored<v1::FigureState>(
                                              absl::string_view(it->value().data(), it->value().size()),
                                              "figure"));
      fn(f);
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "scan figures"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::pair<std::string, uint64_t>>> Store::Attestations(
    const std::string& subtree) const {
  std::vector<std::pair<std::string, uint64_t>> out;
  auto take = [&](absl::string_view v) -> absl::Status {
    if (v.size() < 9) return absl::DataLossError("malformed attestation index entry");
    out.emplace_back(std::string(v.substr(0, v.size() - 9)), DecodeU64(v.substr(v.size() - 8)));
    return absl::OkStatus();
  };
  absl::Status status;
  std::string own = GetOrEmpty(index_, absl::StrCat("a/", subtree), &status);
  RETURN_IF_ERROR(status);
  if (!own.empty()) RETURN_IF_ERROR(take(own));
  const std::string prefix = absl::StrCat("a/", subtree, "/");
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), index_));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    RETURN_IF_ERROR(take(absl::string_view(it->value().data(), it->value().size())));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "scan attestations"));
  return out;
}

absl::StatusOr<aggregator::Counters> Store::GetRollup(const std::string& unit) const {
  aggregator::Counters out;
  const std::string prefix = absl::StrCat(unit, absl::string_view("\0", 1));
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), rollups_));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    int64_t v = DecodeI64(it->value());
    if (v != 0) out[it->key().ToString().substr(prefix.size())] = v;
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "read rollup"));
  return out;
}

absl::StatusOr<aggregator::Counters> Store::SummaryCounters(const std::string& unit) const {
  ASSIGN_OR_RETURN(aggregator::Counters out, GetRollup(unit));
  if (!has_summary_only_) return out;
  auto add = [&](absl::string_view v) -> absl::Status {
    v1::RecordBody b;
    if (!b.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
      return absl::DataLossError("stored summary-only attestation does not parse");
    }
    for (const v1::Counter& c : b.summary_attested().counters()) out[c.key()] += c.value();
    return absl::OkStatus();
  };
  absl::Status status;
  std::string own = GetOrEmpty(index_, absl::StrCat("s/", unit), &status);
  RETURN_IF_ERROR(status);
  if (!own.empty()) RETURN_IF_ERROR(add(own));
  const std::string prefix = absl::StrCat("s/", unit, "/");
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), index_));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    RETURN_IF_ERROR(add(absl::string_view(it->value().data(), it->value().size())));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "read summary-only attestations"));
  aggregator::Prune(&out);
  return out;
}

absl::StatusOr<std::vector<std::string>> Store::ChildUnits(const std::string& unit) const {
  std::vector<std::string> out;
  const std::string prefix = absl::StrCat("c/", unit, absl::string_view("\0", 1));
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), index_));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    out.push_back(it->key().ToString().substr(prefix.size()));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "list child units"));
  return out;
}

absl::StatusOr<std::optional<std::string>> Store::GetMeta(const std::string& key) const {
  std::string v;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), meta_, key, &v);
  if (s.IsNotFound()) return std::nullopt;
  RETURN_IF_ERROR(FromRocks(s, absl::StrCat("read meta ", key)));
  return v;
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
