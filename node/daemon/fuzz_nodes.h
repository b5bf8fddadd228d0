// What the node fuzz targets share (fuzz_push.cc, fuzz_bundle.cc): a city
// root and a county it enrolled, built once per process with fixed keys on a
// fixed clock (2030-01-01), so that the county's records, the push batch and
// the bundle made of them are the same bytes in every run and a checked-in
// input replays. Each input meets the city's ledger as it stood before the
// county sent anything: the same open node while inputs leave the ledger as
// it was (most are refused), a fresh copy of its directory after one changed
// it, so inputs do not depend on one another. Fuzz targets only.
#ifndef RECTSYNC_NODE_DAEMON_FUZZ_NODES_H_
#define RECTSYNC_NODE_DAEMON_FUZZ_NODES_H_

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "node/daemon/config.h"
#include "node/daemon/node.h"
#include "node/daemon/test_bodies.h"
#include "node/record/keys.h"

namespace rectsync::node::fuzzing {

inline constexpr int64_t kFuzzTimeMs = 1893456000000;  // 2030-01-01 00:00 UTC
inline constexpr char kFuzzCity[] = "3201";
inline constexpr char kFuzzCounty[] = "3201/320115";

class FixedClock : public Clock {
 public:
  int64_t NowMillis() override { return kFuzzTimeMs; }
};

[[noreturn]] inline void Die(const char* what, const absl::Status& s) {
  std::fprintf(stderr, "fuzz set-up: %s: %s\n", what, std::string(s.message()).c_str());
  std::abort();
}

template <typename T>
T Must(absl::StatusOr<T> v, const char* what) {
  if (!v.ok()) Die(what, v.status());
  return *std::move(v);
}

// The city and county, and what the county would send its parent.
class FuzzNodes {
 public:
  static FuzzNodes& Get() {
    static FuzzNodes* nodes = new FuzzNodes();
    return *nodes;
  }

  // The county's records as one push batch (serialized), and its upward bundle file.
  const std::string& push_batch() const { return push_batch_; }
  const std::string& bundle() const { return bundle_; }

  // The city, its ledger as it stood before the county sent anything.
  Node& City() {
    if (!city_) city_ = FreshCity();
    return *city_;
  }

  // After an input: if it changed the city's ledger (the county's records
  // or a fork proof stored), the ledger must still verify, and the next
  // input gets a fresh copy. Aborts with `what` when it does not verify.
  void AfterInput(const char* what) {
    const uint64_t head = Must(city_->store()->GetHead(kFuzzCounty), "county head").seq;
    if (head == 0 && Must(city_->store()->Forks(), "forks").empty()) return;
    absl::StatusOr<v1::VerifyReply> v = city_->Verify();
    if (!v.ok() || !v->ok()) {
      std::fprintf(stderr, "after %s the city's ledger does not verify: %s\n", what,
                   v.ok() ? (v->first_bad_origin() + " " + v->reason()).c_str()
                          : std::string(v.status().message()).c_str());
      std::abort();
    }
    city_.reset();
  }

 private:
  // A fresh copy of the city's node.
  std::unique_ptr<Node> FreshCity() {
    const std::string dir = scratch_ + "/try";
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    std::filesystem::copy(city_dir(), dir, std::filesystem::copy_options::recursive, ec);
    if (ec) Die("copy the city", absl::InternalError(ec.message()));
    NodeOptions options = Must(LoadConfig(dir), "city config");
    options.data_dir = dir;
    options.sync_writes = false;
    return Must(Node::Open(options, &clock_), "open the city copy");
  }

  FuzzNodes() {
    if (!record::InitCrypto().ok()) Die("crypto", absl::InternalError("sodium_init"));
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp ? tmp : "/tmp") + "/rectsync-fuzz-XXXXXX";
    scratch_ = ::mkdtemp(tmpl.data());
    SaveKey(city_dir(), 'c');
    RootInit init;
    init.unit = kFuzzCity;
    init.name = "南京市";
    init.level = v1::LEVEL_CITY;
    init.author = "admin";
    if (absl::Status s = Node::InitRoot(city_dir(), init); !s.ok()) Die("city init", s);
    const std::string county_dir = scratch_ + "/county";
    SaveKey(county_dir, 'k');
    {
      NodeOptions options = Must(LoadConfig(city_dir()), "city config");
      options.sync_writes = false;
      std::unique_ptr<Node> city = Must(Node::Open(options, &clock_), "open the city");
      v1::EnrollRequest req;
      req.set_author("admin");
      req.set_unit(kFuzzCounty);
      req.set_name("江宁区");
      req.set_level(v1::LEVEL_COUNTY);
      req.set_public_key(Must(Node::KeyGen(county_dir), "county key"));
      v1::EnrollmentBundle bundle = Must(city->Enroll(req), "enrol the county");
      if (absl::Status s = Node::InitFromBundle(county_dir, bundle); !s.ok()) Die("county init", s);
    }
    NodeOptions options = Must(LoadConfig(county_dir), "county config");
    options.sync_writes = false;
    std::unique_ptr<Node> county = Must(Node::Open(options, &clock_), "open the county");
    Write(*county);
    v1::PushBatch batch;
    const store::Store& store = *county->store();
    if (absl::Status s = store.ScanOrigin(kFuzzCounty, 1, [&](uint64_t, const v1::Record& r) {
          *batch.add_records() = r;
          return true;
        });
        !s.ok()) {
      Die("read the county's records", s);
    }
    push_batch_ = batch.SerializeAsString();
    // RECTSYNC_FUZZ_WRITE_SEEDS=DIR: the county's records, one file each,
    // for record_fuzz's corpus (node/record/fuzz_corpus).
    if (const char* seeds = std::getenv("RECTSYNC_FUZZ_WRITE_SEEDS")) {
      for (int i = 0; i < batch.records_size(); ++i) {
        std::ofstream(std::string(seeds) + "/county-" + std::to_string(i + 1), std::ios::binary)
            << batch.records(i).SerializeAsString();
      }
    }
    bundle_ = Must(county->ExportBundle(v1::ExportBundleRequest()), "export the county's bundle").file();
    // A target whose valid input is refused would test nothing but parsing.
    const v1::PushReply taken = FreshCity()->IngestPush(kFuzzCounty, batch);
    if (taken.stored() != static_cast<uint32_t>(batch.records_size())) {
      Die("the valid batch", absl::InternalError(taken.DebugString()));
    }
    const v1::ImportBundleReply imported = Must(FreshCity()->ImportBundle(bundle_), "the valid bundle");
    if (imported.refusals_size() > 0 || imported.stored() != static_cast<uint64_t>(batch.records_size())) Die("the valid bundle", absl::InternalError(imported.DebugString()));
  }

  std::string city_dir() const { return scratch_ + "/city"; }

  // A fixed key per node, so its signatures are the same in every run.
  static void SaveKey(const std::string& dir, char fill) {
    std::filesystem::create_directories(dir);
    record::KeyPair key = Must(record::KeyPair::FromSeed(std::string(32, fill)), "key");
    if (absl::Status s = key.Save(dir + "/node.key"); !s.ok()) Die("save key", s);
  }

  // One problem through the workflow the county can write alone.
  static void Write(Node& county) {
    const std::string problem = Must(county.Append(testing::Raise(kFuzzCounty)), "raise").subject();
    const std::string measure = Must(county.Append(testing::AddMeasure(problem)), "measure").subject();
    Must(county.Append(testing::Progress(problem, 125, measure)), "progress");
    Must(county.Append(testing::Claim(problem)), "claim");
  }

  FixedClock clock_;
  std::unique_ptr<Node> city_;
  std::string scratch_;
  std::string push_batch_;
  std::string bundle_;
};

// An input as a variation of `valid` (the same bytes in every run): the
// first byte picks how. 0: the rest is the whole message; 1: the rest is
// edits, three bytes each (offset high, offset low, xor mask); 2: `valid`
// cut at the offset in the next two bytes; 3: `valid` with the rest appended.
inline std::string Variation(const std::string& valid, const uint8_t* data, size_t size) {
  if (size == 0) return valid;
  const uint8_t mode = data[0] % 4;
  const std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (mode) {
    case 0: return rest;
    case 1: {
      std::string out = valid;
      for (size_t i = 0; i + 3 <= rest.size() && !out.empty(); i += 3) {
        const size_t at = ((static_cast<uint8_t>(rest[i]) << 8) | static_cast<uint8_t>(rest[i + 1])) % out.size();
        out[at] = static_cast<char>(out[at] ^ rest[i + 2]);
      }
      return out;
    }
    case 2: {
      const size_t at = rest.size() >= 2
                            ? ((static_cast<uint8_t>(rest[0]) << 8) | static_cast<uint8_t>(rest[1])) % (valid.size() + 1)
                            : valid.size() / 2;
      return valid.substr(0, at);
    }
    default: return valid + rest;
  }
}

}  // namespace rectsync::node::fuzzing

#endif  // RECTSYNC_NODE_DAEMON_FUZZ_NODES_H_
