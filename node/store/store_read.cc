// The store's reads (store.h): records and heads, forks, peers' bookkeeping,
// problems, figures, rollups and meta. Opening and every write (one atomic
// batch per append) are in store.cc; I/O faults in store_faults.cc.
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "aggregator/status_macros.h"
#include "aggregator/unit_id.h"
#include "node/store/store.h"
#include "node/store/store_codec.h"
#include "node/store/store_faults.h"
#include "rocksdb/db.h"

namespace rectsync::store {

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
  return head_table_.Under(unit);
}

absl::StatusOr<std::optional<std::string>> Store::GetPeer(const std::string& key) const {
  absl::Status status;
  std::string v;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), peers_, key, &v);
  if (s.IsNotFound()) return std::nullopt;
  RETURN_IF_ERROR(FromRocks(s, absl::StrCat("read peer entry ", key)));
  return v;
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
  return head_table_.Get(origin);
}

absl::StatusOr<std::vector<std::pair<std::string, Head>>> Store::Heads() const {
  return head_table_.All();
}

absl::StatusOr<std::vector<std::pair<std::string, Head>>> Store::ReadHeads() const {
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

}  // namespace rectsync::store
