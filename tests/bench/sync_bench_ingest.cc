// sync_bench part 1: a parent Node ingesting many villages' pushed batches
// through Node::IngestPush, next to raw RocksDB writes of the same bytes.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <zlib.h>
#include <zstd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "aggregator/status_macros.h"
#include "node/store/store.h"
#include "tests/bench/sync_bench.h"

namespace rectsync::bench {
namespace {

namespace fs = std::filesystem;

struct IngestInput {
  std::vector<std::string> pushers;     // per batch: the pushing village
  std::vector<v1::PushBatch> batches;   // one origin each, round-robin over villages
  // The same records for the raw baseline: (key, envelope bytes) per batch.
  std::vector<std::vector<std::pair<std::string, std::string>>> raw;
  int64_t records = 0;
  uint64_t wire_bytes = 0;              // sum of PushBatch::ByteSizeLong()
};

// Sets up city → county → township (the parent) in `base` with villages
// enrolled under the township, each writing its records in-process.
absl::StatusOr<IngestInput> PrepareIngest(const BenchOptions& o, const std::string& base,
                                          std::string* parent_dir) {
  std::vector<UnitSpec> specs(Chain().begin(), Chain().begin() + 3);
  std::vector<std::string> dirs = ChainDirs(base);
  dirs.resize(3);
  RETURN_IF_ERROR(BuildChain(specs, dirs));
  *parent_dir = dirs[2];
  ASSIGN_OR_RETURN(std::unique_ptr<node::Node> township, OpenNode(dirs[2], false));
  // Per village, its batches in order.
  std::vector<std::vector<v1::PushBatch>> per_village(o.villages);
  std::vector<std::string> units(o.villages);
  const auto start = SteadyClock::now();
  for (int v = 0; v < o.villages; ++v) {
    UnitSpec spec{absl::StrFormat("%s/320115003%03d", specs[2].unit, v + 1),
                  absl::StrCat("第", v + 1, "村"), v1::LEVEL_VILLAGE};
    units[v] = spec.unit;
    const std::string vdir = absl::StrCat(base, "/villages/", v + 1);
    RETURN_IF_ERROR(EnrollChild(township.get(), vdir, spec));
    {
      ASSIGN_OR_RETURN(std::unique_ptr<node::Node> village, OpenNode(vdir, false));
      RETURN_IF_ERROR(
          AppendWorkload(village.get(), o.records_per_village, absl::StrCat("村", v + 1)).status());
      v1::PushBatch batch;
      RETURN_IF_ERROR(village->store()->ScanOrigin(spec.unit, 1, [&](uint64_t, const v1::Record& r) {
        *batch.add_records() = r;
        if (batch.records_size() == o.batch_records) {
          per_village[v].push_back(std::move(batch));
          batch.Clear();
        }
        return true;
      }));
      if (batch.records_size() > 0) per_village[v].push_back(std::move(batch));
    }
    fs::remove_all(vdir);
  }
  std::printf("  (prepared %d villages x %d records in %.1f s)\n", o.villages,
              o.records_per_village, MillisSince(start) / 1000);

  IngestInput in;
  for (size_t round = 0;; ++round) {
    bool any = false;
    for (int v = 0; v < o.villages; ++v) {
      if (round >= per_village[v].size()) continue;
      any = true;
      v1::PushBatch& b = per_village[v][round];
      std::vector<std::pair<std::string, std::string>> raw;
      for (const v1::Record& r : b.records()) {
        ASSIGN_OR_RETURN(record::DecodedRecord d, record::Open(r));
        raw.emplace_back(store::RecordKey(d.body.origin(), d.body.seq()), r.SerializeAsString());
      }
      in.records += b.records_size();
      in.wire_bytes += b.ByteSizeLong();
      in.raw.push_back(std::move(raw));
      in.pushers.push_back(units[v]);
      in.batches.push_back(std::move(b));
    }
    if (!any) break;
  }
  return in;
}

// One timed ingest: records/s and the write-ahead log bytes it wrote.
struct IngestRun {
  double rate = 0;
  uint64_t wal_bytes = 0;
  // CPU time of the ingesting thread (excludes RocksDB's background
  // threads); less sensitive than `rate` to a busy machine.
  double cpu_us_per_record = 0;
};

double ThreadCpuMicros() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

// Bytes in the RocksDB write-ahead logs (*.log) of `db_dir`. Logs are kept
// until every column family is flushed, so for these sizes this is what
// the run wrote to the WAL (an undercount if a log was already dropped).
uint64_t WalBytes(const std::string& db_dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(db_dir, ec)) {
    if (e.path().extension() == ".log") total += e.file_size(ec);
  }
  return total;
}

// Node::IngestPush over every batch, on a fresh copy of the parent. With
// `relay`, each batch is ingested as relayed (its pusher an ancestor of its
// origin: the parent's own unit stands in for the middle tier, which takes
// the same code path), so its chain is checked with one signature per
// batch; otherwise as pushed by its origin, the first hop, where every
// signature is checked.
absl::StatusOr<IngestRun> TimeNodeIngest(const IngestInput& in, const std::string& parent_dir,
                                         const std::string& copy_dir, bool sync_writes,
                                         bool relay) {
  fs::copy(parent_dir, copy_dir, fs::copy_options::recursive);
  IngestRun run;
  {
    ASSIGN_OR_RETURN(std::unique_ptr<node::Node> parent, OpenNode(copy_dir, sync_writes));
    const std::string relay_unit = parent->unit();
    const uint64_t wal_before = WalBytes(copy_dir + "/db");
    const double cpu_start = ThreadCpuMicros();
    const auto start = SteadyClock::now();
    for (size_t i = 0; i < in.batches.size(); ++i) {
      v1::PushReply reply = parent->IngestPush(relay ? relay_unit : in.pushers[i], in.batches[i]);
      if (reply.code() != 0 || static_cast<int>(reply.stored()) != in.batches[i].records_size()) {
        return absl::InternalError(absl::StrCat("batch ", i, " from ", in.pushers[i], ": code ",
                                                reply.code(), " stored ", reply.stored(), ": ",
                                                reply.error()));
      }
    }
    run.rate = static_cast<double>(in.records) / (MillisSince(start) / 1000);
    run.cpu_us_per_record = (ThreadCpuMicros() - cpu_start) / static_cast<double>(in.records);
    run.wal_bytes = WalBytes(copy_dir + "/db") - wal_before;
  }
  fs::remove_all(copy_dir);
  return run;
}

// Raw RocksDB (default options), one WriteBatch per push batch.
absl::StatusOr<IngestRun> TimeRawIngest(const IngestInput& in, const std::string& db_dir,
                                        bool sync_writes) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw_db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, db_dir, &raw_db);
  if (!s.ok()) return absl::UnavailableError(s.ToString());
  std::unique_ptr<rocksdb::DB> db(raw_db);
  rocksdb::WriteOptions wo;
  wo.sync = sync_writes;
  IngestRun run;
  const uint64_t wal_before = WalBytes(db_dir);
  const double cpu_start = ThreadCpuMicros();
  const auto start = SteadyClock::now();
  for (const auto& batch : in.raw) {
    rocksdb::WriteBatch wb;
    for (const auto& [key, value] : batch) wb.Put(key, value);
    s = db->Write(wo, &wb);
    if (!s.ok()) return absl::UnavailableError(s.ToString());
  }
  run.rate = static_cast<double>(in.records) / (MillisSince(start) / 1000);
  run.cpu_us_per_record = (ThreadCpuMicros() - cpu_start) / static_cast<double>(in.records);
  run.wal_bytes = WalBytes(db_dir) - wal_before;
  db.reset();
  fs::remove_all(db_dir);
  return run;
}

// What compressing each push batch as one message would save: bytes per
// record after compression, and the CPU to compress and decompress it, for
// deflate (zlib's stream; gRPC's message compression offers it, and gzip,
// which is the same stream with an 18-byte header) and zstd (what an
// application-level packed batch could use).
struct Codec {
  std::string name;
  std::function<std::string(const std::string&)> compress;
  std::function<std::string(const std::string&, size_t)> decompress;
};

std::vector<Codec> Codecs() {
  std::vector<Codec> out;
  for (int level : {1, 6}) {
    out.push_back(Codec{
        absl::StrCat("deflate level ", level),
        [level](const std::string& in) {
          uLongf size = compressBound(in.size());
          std::string out(size, '\0');
          compress2(reinterpret_cast<Bytef*>(out.data()), &size,
                    reinterpret_cast<const Bytef*>(in.data()), in.size(), level);
          out.resize(size);
          return out;
        },
        [](const std::string& in, size_t size) {
          uLongf got = size;
          std::string out(size, '\0');
          uncompress(reinterpret_cast<Bytef*>(out.data()), &got,
                     reinterpret_cast<const Bytef*>(in.data()), in.size());
          out.resize(got);
          return out;
        }});
  }
  for (int level : {1, 3}) {
    out.push_back(Codec{
        absl::StrCat("zstd level ", level),
        [level](const std::string& in) {
          std::string out(ZSTD_compressBound(in.size()), '\0');
          out.resize(ZSTD_compress(out.data(), out.size(), in.data(), in.size(), level));
          return out;
        },
        [](const std::string& in, size_t size) {
          std::string out(size, '\0');
          out.resize(ZSTD_decompress(out.data(), out.size(), in.data(), in.size()));
          return out;
        }});
  }
  return out;
}

absl::Status MeasureCompression(const IngestInput& in) {
  std::vector<std::string> wire;
  for (const v1::PushBatch& b : in.batches) wire.push_back(b.SerializeAsString());
  const double records = static_cast<double>(in.records);
  for (const Codec& c : Codecs()) {
    uint64_t bytes = 0;
    std::vector<std::string> packed(wire.size());
    double t = ThreadCpuMicros();
    for (size_t i = 0; i < wire.size(); ++i) {
      packed[i] = c.compress(wire[i]);
      bytes += packed[i].size();
    }
    const double compress_us = (ThreadCpuMicros() - t) / records;
    t = ThreadCpuMicros();
    for (size_t i = 0; i < wire.size(); ++i) {
      if (c.decompress(packed[i], wire[i].size()) != wire[i]) {
        return absl::InternalError(absl::StrCat(c.name, ": batch ", i, " does not round-trip"));
      }
    }
    const double decompress_us = (ThreadCpuMicros() - t) / records;
    const double per_record = static_cast<double>(bytes) / records;
    Report(absl::StrCat("push payload compressed, ", c.name),
           absl::StrFormat("%.0f B per rec  (%.2f us CPU to compress, %.2f to decompress)",
                           per_record, compress_us, decompress_us),
           absl::StrFormat(R"({"bench":"wire_compression","codec":"%s","records":%d,)"
                           R"("bytes_per_record":%.1f,"compress_us_per_record":%.3f,)"
                           R"("decompress_us_per_record":%.3f})",
                           c.name, in.records, per_record, compress_us, decompress_us));
  }
  return absl::OkStatus();
}

// The run with the median rate of `runs` (odd count).
IngestRun Median(std::vector<IngestRun> runs) {
  std::sort(runs.begin(), runs.end(),
            [](const IngestRun& a, const IngestRun& b) { return a.rate < b.rate; });
  return runs[runs.size() / 2];
}

}  // namespace

absl::Status RunParentIngest(const BenchOptions& o, const std::string& base) {
  std::printf("\n[1] parent ingest: %d villages x %d records, batches of %d, one origin each\n",
              o.villages, o.records_per_village, o.batch_records);
  std::string parent_dir;
  ASSIGN_OR_RETURN(IngestInput in, PrepareIngest(o, base, &parent_dir));
  const double wire = static_cast<double>(in.wire_bytes) / static_cast<double>(in.records);
  Report("push payload per record (PushBatch bytes)", absl::StrFormat("%.0f B", wire),
         absl::StrFormat(R"({"bench":"wire_bytes","source":"parent_ingest","records":%d,)"
                         R"("batch_records":%d,"bytes_per_record":%.1f})",
                         in.records, o.batch_records, wire));
  RETURN_IF_ERROR(MeasureCompression(in));
  struct Mode {
    bool sync;
    bool relay;
  };
  for (const Mode m : {Mode{true, false}, Mode{true, true}, Mode{false, false}}) {
    const bool sync = m.sync;
    // Alternating runs, median of each: the machine may be shared.
    std::vector<IngestRun> raw_runs, node_runs;
    for (int rep = 0; rep < o.repetitions; ++rep) {
      ASSIGN_OR_RETURN(IngestRun raw, TimeRawIngest(in, absl::StrCat(base, "/raw", sync), sync));
      ASSIGN_OR_RETURN(IngestRun node, TimeNodeIngest(in, parent_dir,
                                                      absl::StrCat(base, "/parent", sync), sync,
                                                      m.relay));
      raw_runs.push_back(raw);
      node_runs.push_back(node);
    }
    const IngestRun raw = Median(raw_runs), node = Median(node_runs);
    const double ratio = node.rate / raw.rate;
    const double records = static_cast<double>(in.records);
    const std::string mode = absl::StrCat(m.relay ? "relayed" : "first hop",
                                          sync ? ", sync_writes=true" : ", sync_writes=false");
    Report(absl::StrCat("Node::IngestPush, ", mode),
           absl::StrFormat("%.0f rec/s  (%.1f us CPU, WAL %.0f B per rec)", node.rate,
                           node.cpu_us_per_record, node.wal_bytes / records),
           "");
    Report(absl::StrCat("raw RocksDB WriteBatch, sync_writes=", sync ? "true" : "false"),
           absl::StrFormat("%.0f rec/s  (%.1f us CPU, WAL %.0f B per rec)", raw.rate,
                           raw.cpu_us_per_record, raw.wal_bytes / records),
           "");
    Report(absl::StrCat("ratio node/raw, ", mode, " (goal >= 0.5)"),
           absl::StrFormat("%.3f%s", ratio, ratio >= 0.5 ? "" : "  (below goal)"),
           absl::StrFormat(R"({"bench":"parent_ingest","sync_writes":%s,"hop":"%s","villages":%d,)"
                           R"("records":%d,"batches":%d,"repetitions":%d,)"
                           R"("node_records_per_s":%.0f,"raw_records_per_s":%.0f,"ratio":%.3f,)"
                           R"("node_cpu_us_per_record":%.2f,"raw_cpu_us_per_record":%.2f,)"
                           R"("node_wal_bytes_per_record":%.0f,"raw_wal_bytes_per_record":%.0f,)"
                           R"("goal_ratio":0.5})",
                           sync ? "true" : "false", m.relay ? "relay" : "first", o.villages,
                           in.records, in.batches.size(), o.repetitions, node.rate, raw.rate,
                           ratio, node.cpu_us_per_record, raw.cpu_us_per_record,
                           node.wal_bytes / records, raw.wal_bytes / records));
  }
  return absl::OkStatus();
}

}  // namespace rectsync::bench
