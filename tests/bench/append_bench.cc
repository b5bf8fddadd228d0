// append_bench: local append throughput of one node (issue 2).
//
// Measures, in one run and on the same disk, records/s of
//   node  Node::Append, one record per call as the CLI does: validate, stamp,
//         sign, check the chain, fold, rollups, one atomic WriteBatch;
//   raw   plain RocksDB (default options, separate database) writing the
//         same envelope bytes under the same keys, one record per WriteBatch;
// with fsync on and off, and prints their ratio: what the ledger costs over
// the storage engine. Ends with one JSON line ({"bench":"local_append",...})
// for collection scripts.
//
// Usage: append_bench [--records N] [--dir DIR]
//   --records N  appends per configuration (default 1500)
//   --dir DIR    parent of the scratch directories (default $TMPDIR or /tmp)
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "node/daemon/config.h"
#include "node/daemon/node.h"
#include "node/store/store.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"

namespace rectsync::bench {
namespace {

using Clock = std::chrono::steady_clock;

const char kUnit[] = "3201";

struct Args {
  int records = 1500;
  std::string dir;
};

struct NodeResult {
  double seconds = 0;
  double p50_us = 0, p99_us = 0;
  // The envelopes written, under their store keys, in order.
  std::vector<std::pair<std::string, std::string>> envelopes;
};

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "append_bench: %s\n", what.c_str());
  std::exit(1);
}

template <typename T>
T OrDie(absl::StatusOr<T> v, const char* what) {
  if (!v.ok()) Die(absl::StrCat(what, ": ", v.status().message()));
  return std::move(*v);
}

std::string ScratchDir(const std::string& parent, const char* name) {
  std::string tmpl = absl::StrCat(parent, "/append_bench.", name, ".XXXXXX");
  if (::mkdtemp(tmpl.data()) == nullptr) Die(absl::StrCat("mkdtemp ", tmpl, ": ", std::strerror(errno)));
  return tmpl;
}

// The CLI's write mix: raise a problem, add a measure to it, report progress
// on that measure; repeat.
v1::RecordBody NextBody(int i, const std::string& problem, const std::string& measure) {
  v1::RecordBody b;
  b.set_author("bench");
  switch (i % 3) {
    case 0: {
      auto* e = b.mutable_problem_raised();
      e->set_unit(kUnit);
      e->set_source(v1::SOURCE_INSPECTION);
      e->set_category(i % 2 ? "村务公开" : "资金管理");
      e->set_title(absl::StrCat("第", i, "号问题：村集体资金管理不规范"));
      e->set_detail("巡察发现村集体资金收支未按规定公开，部分票据不全。");
      e->set_deadline("2030-06-30");
      break;
    }
    case 1: {
      auto* e = b.mutable_measure_added();
      e->set_problem_id(problem);
      e->set_text("建立资金收支台账，每月公开");
      e->set_deadline("2030-03-31");
      break;
    }
    default: {
      auto* e = b.mutable_progress_reported();
      e->set_problem_id(problem);
      e->set_measure_id(measure);
      e->set_note("已建立台账并公开两次");
      e->set_measure_done(true);
      e->mutable_outcomes()->set_funds_recovered_fen(125000);
      break;
    }
  }
  return b;
}

NodeResult RunNode(const Args& args, bool sync) {
  const std::string dir = ScratchDir(args.dir, sync ? "node_sync" : "node_nosync");
  node::RootInit init;
  init.unit = kUnit;
  init.name = "南京市";
  init.author = "bench";
  if (absl::Status s = node::Node::InitRoot(dir, init); !s.ok()) Die(std::string(s.message()));
  node::NodeOptions options = OrDie(node::LoadConfig(dir), "load config");
  options.sync_writes = sync;
  std::unique_ptr<node::Node> n = OrDie(node::Node::Open(options), "open node");

  NodeResult result;
  std::vector<double> latencies;
  latencies.reserve(args.records);
  std::string problem, measure;
  const auto start = Clock::now();
  for (int i = 0; i < args.records; ++i) {
    const auto t0 = Clock::now();
    v1::AppendReply reply = OrDie(n->Append(NextBody(i, problem, measure)), "append");
    latencies.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    if (i % 3 == 0) problem = reply.subject();
    if (i % 3 == 1) measure = reply.subject();
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(latencies.begin(), latencies.end());
  result.p50_us = latencies[latencies.size() / 2];
  result.p99_us = latencies[std::min(latencies.size() - 1, latencies.size() * 99 / 100)];

  // Seq 1 is the root's self-enrolment, written before the clock started.
  absl::Status s = n->store()->ScanOrigin(kUnit, 2, [&](uint64_t seq, const v1::Record& env) {
    result.envelopes.emplace_back(store::RecordKey(kUnit, seq), env.SerializeAsString());
    return true;
  });
  if (!s.ok()) Die(std::string(s.message()));
  if (result.envelopes.size() != static_cast<size_t>(args.records)) Die("store lost records");
  n.reset();
  std::filesystem::remove_all(dir);
  return result;
}

double RunRaw(const Args& args, bool sync, const std::vector<std::pair<std::string, std::string>>& envelopes) {
  const std::string dir = ScratchDir(args.dir, sync ? "raw_sync" : "raw_nosync");
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, dir, &raw);
  if (!s.ok()) Die(s.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  const auto start = Clock::now();
  for (const auto& [key, value] : envelopes) {
    rocksdb::WriteBatch batch;
    batch.Put(key, value);
    s = db->Write(wo, &batch);
    if (!s.ok()) Die(s.ToString());
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  db->Close();
  db.reset();
  std::filesystem::remove_all(dir);
  return seconds;
}

Args ParseArgs(int argc, char** argv) {
  Args args;
  const char* tmp = std::getenv("TMPDIR");
  args.dir = tmp && *tmp ? tmp : "/tmp";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--records" || a == "--dir") && i + 1 < argc) {
      const std::string v = argv[++i];
      if (a == "--dir") {
        args.dir = v;
      } else if ((args.records = std::atoi(v.c_str())) <= 0) {
        Die("--records: must be a positive integer");
      }
    } else {
      std::fprintf(stderr, "usage: append_bench [--records N] [--dir DIR]\n");
      std::exit(a == "--help" || a == "-h" ? 0 : 2);
    }
  }
  return args;
}

}  // namespace
}  // namespace rectsync::bench

int main(int argc, char** argv) {
  using namespace rectsync::bench;  // NOLINT: the binary's own namespace
  const Args args = ParseArgs(argc, argv);
  struct Row {
    bool sync;
    NodeResult node;
    double raw_seconds;
  };
  std::vector<Row> rows;
  for (bool sync : {true, false}) {
    NodeResult node = RunNode(args, sync);
    const double raw = RunRaw(args, sync, node.envelopes);
    rows.push_back(Row{sync, std::move(node), raw});
  }

  const double n = args.records;
  std::printf("local append, %d records per run, one record per write (dir %s)\n", args.records,
              args.dir.c_str());
  std::printf("%-6s %14s %10s %10s %14s %12s\n", "fsync", "node rec/s", "p50 us", "p99 us",
              "raw rec/s", "node/raw");
  std::string json = absl::StrCat("{\"bench\":\"local_append\",\"records\":", args.records);
  for (const Row& r : rows) {
    const double node_rps = n / r.node.seconds, raw_rps = n / r.raw_seconds;
    std::printf("%-6s %14.0f %10.0f %10.0f %14.0f %12.3f\n", r.sync ? "on" : "off", node_rps,
                r.node.p50_us, r.node.p99_us, raw_rps, node_rps / raw_rps);
    const char* tag = r.sync ? "sync" : "nosync";
    absl::StrAppend(&json, ",\"node_", tag, "_rps\":", std::llround(node_rps), ",\"node_", tag,
                    "_p50_us\":", std::llround(r.node.p50_us), ",\"node_", tag,
                    "_p99_us\":", std::llround(r.node.p99_us), ",\"raw_", tag,
                    "_rps\":", std::llround(raw_rps), ",\"ratio_", tag, "\":",
                    std::llround(node_rps / raw_rps * 1000) / 1000.0);
  }
  json += "}";
  std::printf("%s\n", json.c_str());
  return 0;
}
