// The store's derived state (problems, figures, rollups, listings) must be
// byte-identical to aggregator::Replica fed the same records (DESIGN §4, §6).
// A generator simulates officers over a small hierarchy, including authority
// violations; the store then receives the records in a random interleaving of
// the origins' chains (so late records force refolds), in random batches.
// Randomized: the seed is printed; RECTSYNC_SEED=<seed> replays a run.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "aggregator/date.h"
#include "aggregator/fold.h"
#include "aggregator/replica.h"
#include "aggregator/rollup.h"
#include "aggregator/test_records.h"
#include "aggregator/unit_id.h"
#include "aggregator/test_seed.h"
#include "gtest/gtest.h"
#include "node/store/store.h"
#include "node/store/test_ledger.h"
#include "node/store/test_util.h"
#include "rocksdb/db.h"

namespace rectsync::store {
namespace {

namespace at = ::rectsync::aggregator::testing;
using aggregator::DecodedRecord;
using aggregator::InSubtree;
using aggregator::StrictlyBelow;

constexpr int kRounds = 6;
constexpr size_t kRecordsPerRound = 250;

const std::vector<std::string>& Units() {
  static const std::vector<std::string> units = {
      "3201",
      "3201/320115",
      "3201/320116",
      "3201/320115/kjj",
      "3201/320115/320115003",
      "3201/320115/320115003/320115003012",
      "3201/320115/320115003/320115003013",
      "3201/320116/320116001"};
  return units;
}

// Emits signed records of officers acting on the state they see (held by
// `world`, a Replica fed in generation order).
class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  std::vector<StoredRecord> Run(size_t n) {
    while (out_.size() < n && !::testing::Test::HasFatalFailure()) Step();
    return out_;
  }
  const aggregator::Replica& world() const { return world_; }

 private:
  size_t Pick(size_t n) { return static_cast<size_t>(rng_() % n); }
  bool Chance(int percent) { return static_cast<int>(rng_() % 100) < percent; }
  const std::string& AnyUnit() { return Units()[Pick(Units().size())]; }
  std::string UnitWhere(const std::function<bool(const std::string&)>& pred) {
    std::vector<std::string> ok;
    for (const auto& u : Units()) {
      if (pred(u)) ok.push_back(u);
    }
    return ok.empty() ? "" : ok[Pick(ok.size())];
  }

  // Each origin's stamps increase; origins often share a wall tick.
  DecodedRecord Draft(const std::string& origin) {
    now_ += Pick(3);
    uint64_t& last = last_hlc_[origin];
    last = std::max(kBase + now_, last + 1);
    return ledger_.Draft(origin, last);
  }

  void Emit(DecodedRecord draft) {
    StoredRecord rec = ledger_.Seal(std::move(draft));
    absl::Status s = world_.Add(rec.decoded);
    ASSERT_TRUE(s.ok()) << s;
    out_.push_back(std::move(rec));
  }

  const v1::ProblemState* AnyProblem(const std::function<bool(const v1::ProblemState&)>& pred) {
    std::vector<const v1::ProblemState*> ok;
    for (const auto& [id, s] : world_.problems()) {
      if (s.raised() && pred(s)) ok.push_back(&s);
    }
    return ok.empty() ? nullptr : ok[Pick(ok.size())];
  }

  std::string Deadline() {
    if (Chance(20)) return "";
    return aggregator::FormatDate(*aggregator::ParseDate("2024-06-20") +
                                  static_cast<int64_t>(Pick(121)) - 60);
  }

  void Step() {
    const int roll = static_cast<int>(Pick(100));
    auto any = [](const v1::ProblemState&) { return true; };
    if (roll < 22 || world_.problems().empty()) {
      // Raise, mostly within the origin's subtree.
      const std::string origin = AnyUnit();
      std::string unit = Chance(90) ? UnitWhere([&](const std::string& u) {
        return InSubtree(u, origin);
      })
                                    : AnyUnit();
      const std::string id = absl::StrCat(origin, ":P", ++serial_);
      const char* categories[] = {"roads", "funds", "style"};
      Emit(at::Raise(Draft(origin), id, unit, Deadline(), categories[Pick(3)],
                     static_cast<v1::Source>(1 + Pick(5))));
    } else if (roll < 36) {
      const v1::ProblemState* p = AnyProblem(any);
      if (!p) return;
      const std::string origin = Chance(85) ? p->unit() : AnyUnit();
      Emit(at::AddMeasure(Draft(origin), p->problem_id(), absl::StrCat(origin, ":M", ++serial_),
                          Deadline()));
    } else if (roll < 56) {
      const v1::ProblemState* p = AnyProblem(any);
      if (!p) return;
      const std::string origin = Chance(85) ? p->unit() : AnyUnit();
      std::string measure;
      if (p->measures_size() > 0 && Chance(70)) {
        measure = p->measures(static_cast<int>(Pick(p->measures_size()))).measure_id();
      }
      Emit(at::Progress(Draft(origin), p->problem_id(), measure, !measure.empty() && Chance(50),
                        Chance(30) ? static_cast<int64_t>(Pick(100000)) : 0,
                        static_cast<int64_t>(Pick(2))));
    } else if (roll < 68) {
      const v1::ProblemState* p = AnyProblem([](const v1::ProblemState& s) {
        return s.status() == v1::STATUS_OPEN || s.status() == v1::STATUS_IN_PROGRESS;
      });
      if (!p) return;
      Emit(at::ClaimDone(Draft(Chance(90) ? p->unit() : AnyUnit()), p->problem_id(),
                         static_cast<v1::ClaimKind>(1 + Pick(3))));
    } else if (roll < 80) {
      const v1::ProblemState* p = AnyProblem(
          [](const v1::ProblemState& s) { return s.status() == v1::STATUS_CLAIMED; });
      if (!p) return;
      std::string claim;
      for (const auto& c : p->claims()) {
        if (c.verdict() == v1::VERDICT_PENDING) claim = c.record().id();
      }
      std::string origin = UnitWhere([&](const std::string& u) { return StrictlyBelow(p->unit(), u); });
      if (origin.empty() || Chance(10)) origin = p->unit();  // a unit reviewing its own claim
      Emit(at::Review(Draft(origin), p->problem_id(), claim, Chance(65)));
    } else if (roll < 87) {
      const v1::ProblemState* p = AnyProblem(any);
      if (!p) return;
      std::string origin = UnitWhere([&](const std::string& u) { return StrictlyBelow(p->unit(), u); });
      if (origin.empty() || Chance(15)) origin = AnyUnit();
      if (p->status() == v1::STATUS_CLOSED || p->status() == v1::STATUS_ACCEPTED) {
        Emit(Chance(50) ? at::Reopen(Draft(origin), p->problem_id())
                        : at::Close(Draft(origin), p->problem_id()));
      } else {
        Emit(at::Close(Draft(origin), p->problem_id()));  // premature: a violation
      }
    } else if (roll < 94) {
      const v1::ProblemState* p = AnyProblem(any);
      if (!p) return;
      const std::string origin = Chance(70) ? p->raiser() : AnyUnit();
      if (Chance(50)) {
        Emit(at::AmendDeadline(Draft(origin), p->problem_id(), Deadline()));
      } else {
        const std::string unit = UnitWhere([&](const std::string& u) { return InSubtree(u, origin); });
        Emit(at::AmendUnit(Draft(origin), p->problem_id(), unit.empty() ? origin : unit));
      }
    } else {
      const std::string origin = AnyUnit();
      const std::string unit = UnitWhere([&](const std::string& u) { return InSubtree(u, origin); });
      Emit(at::Figures(Draft(origin), unit, Chance(50) ? "2024-Q2" : "2024-06",
                       {{"visits", static_cast<int64_t>(Pick(50))},
                        {absl::StrCat("collected/", Pick(3)), static_cast<int64_t>(Pick(9))}}));
    }
  }

  static constexpr uint64_t kBase = uint64_t{1717200000000} << 16;
  std::mt19937_64 rng_;
  testing::SignedLedger ledger_;
  aggregator::Replica world_;
  std::vector<StoredRecord> out_;
  std::map<std::string, uint64_t> last_hlc_;
  uint64_t now_ = 0;
  int serial_ = 0;
};

std::string Deterministic(const google::protobuf::MessageLite& m) {
  return at::DeterministicBytes(m);
}

// The store's derived state in Replica::Serialize()'s format.
std::string SerializeStore(const Store& store) {
  std::map<std::string, std::string> problems;
  std::map<std::string, int64_t> figures;
  std::map<std::string, std::map<std::string, int64_t>> rollups;
  const testing::StoreDump dump = testing::Dump(store);
  for (const auto& [id, bytes] : dump.at("problems")) {
    v1::ProblemState s;
    EXPECT_TRUE(s.ParseFromString(bytes)) << id;
    problems[id] = Deterministic(s);
  }
  for (const auto& [key, bytes] : dump.at("index")) {
    if (key.rfind("f/", 0) != 0) continue;
    v1::FigureState f;
    EXPECT_TRUE(f.ParseFromString(bytes)) << key;
    figures[key.substr(2)] = f.value();
  }
  for (const auto& [key, bytes] : dump.at("rollups")) {
    size_t nul = key.find('\0');
    EXPECT_NE(nul, std::string::npos);
    EXPECT_EQ(bytes.size(), 8u);
    uint64_t u = 0;
    for (int i = 7; i >= 0; --i) u = u << 8 | static_cast<unsigned char>(bytes[i]);
    if (u != 0) rollups[key.substr(0, nul)][key.substr(nul + 1)] = static_cast<int64_t>(u);
  }
  std::string out;
  for (const auto& [id, bytes] : problems) absl::StrAppend(&out, "P ", id, " ", bytes.size(), "\n", bytes, "\n");
  for (const auto& [k, v] : figures) absl::StrAppend(&out, "F ", k, " ", v, "\n");
  for (const auto& [unit, counters] : rollups) {
    for (const auto& [k, v] : counters) absl::StrAppend(&out, "R ", unit, " ", k, " ", v, "\n");
  }
  return out;
}

// The node's summary answer (Node::GetSummary) built from the store.
v1::Summary StoreSummary(const Store& store, const std::string& unit, int64_t today) {
  v1::Summary s = aggregator::Summarize(unit, *store.GetRollup(unit), today);
  const std::vector<std::string> children = *store.ChildUnits(unit);
  for (const std::string& child : children) {
    aggregator::Counters c = *store.GetRollup(child);
    if (!c.empty()) *s.add_children() = aggregator::Summarize(child, c, today);
  }
  return s;
}

void ExpectSameAsReplica(const Store& store, const aggregator::Replica& world) {
  const std::string expected = world.Serialize();
  const std::string actual = SerializeStore(store);
  EXPECT_GT(expected.size(), 0u);
  EXPECT_TRUE(actual == expected) << "store and replica derived state differ";

  // Listings by responsible unit come from the store's index.
  const int64_t today = *aggregator::ParseDate("2024-06-20");
  for (const std::string& unit : Units()) {
    std::set<std::string> want, got;
    for (const auto& [id, s] : world.problems()) {
      if (s.raised() && InSubtree(s.unit(), unit)) want.insert(id);
    }
    int scanned = 0;
    ASSERT_TRUE(store.ScanProblems(unit, [&](const v1::ProblemState& s) {
      ++scanned;
      got.insert(s.problem_id());
      return true;
    }).ok());
    EXPECT_EQ(got, want) << "listing of " << unit;
    EXPECT_EQ(scanned, static_cast<int>(got.size())) << "problem listed twice under " << unit;
    EXPECT_EQ(Deterministic(StoreSummary(store, unit, today)),
              Deterministic(world.Summary(unit, today)))
        << "summary of " << unit;
  }
}

TEST(StoreReplicaTest, DerivedStateMatchesReplicaWhateverTheInterleaving) {
  ASSERT_TRUE(record::InitCrypto().ok());
  const uint64_t seed = TestSeed();
  std::cout << "StoreReplicaTest seed: " << seed << " (replay with RECTSYNC_SEED=" << seed
            << ")\n";
  std::mt19937_64 master(seed);
  int late = 0, violations = 0, refused_reviews = 0;
  for (int round = 0; round < kRounds && !HasFailure(); ++round) {
    const uint64_t round_seed = master();
    SCOPED_TRACE(absl::StrCat("round ", round, ", round seed ", round_seed));
    Generator gen(round_seed);
    std::vector<StoredRecord> records = gen.Run(kRecordsPerRound);
    ASSERT_FALSE(HasFatalFailure());
    std::mt19937_64 rng(round_seed ^ 0x9e3779b97f4a7c15ULL);

    // Interleave the origins' chains at random, keeping each chain in order.
    std::map<std::string, std::deque<const StoredRecord*>> queues;
    for (const StoredRecord& r : records) queues[r.decoded.body.origin()].push_back(&r);
    testing::ScopedTempDir dir("store_replica_test");
    auto opened = Store::Open(dir.path() + "/db", StoreOptions{/*sync=*/false});
    ASSERT_TRUE(opened.ok()) << opened.status();
    std::unique_ptr<Store> store = std::move(*opened);
    uint64_t max_hlc = 0;
    std::vector<StoredRecord> batch;
    size_t batch_target = 1 + rng() % 8;
    while (!queues.empty()) {
      auto it = std::next(queues.begin(), static_cast<long>(rng() % queues.size()));
      const StoredRecord* r = it->second.front();
      it->second.pop_front();
      if (it->second.empty()) queues.erase(it);
      late += r->decoded.body.hlc() < max_hlc;
      max_hlc = std::max(max_hlc, r->decoded.body.hlc());
      batch.push_back(*r);
      if (batch.size() >= batch_target || queues.empty()) {
        absl::Status s = store->Append(batch);
        ASSERT_TRUE(s.ok()) << s;
        batch.clear();
        batch_target = 1 + rng() % 8;
      }
    }
    ExpectSameAsReplica(*store, gen.world());
    for (const auto& [id, s] : gen.world().problems()) {
      violations += s.violations_size();
      for (const auto& v : s.violations()) refused_reviews += v.reason().find("review") != std::string::npos;
    }

    // And after a reopen.
    store.reset();
    opened = Store::Open(dir.path() + "/db");
    ASSERT_TRUE(opened.ok()) << opened.status();
    ExpectSameAsReplica(**opened, gen.world());
  }
  // The run must have exercised what it claims to.
  EXPECT_GT(late, 0) << "no record arrived after a later-stamped one: no refolds exercised";
  EXPECT_GT(violations, 0) << "no authority violations generated";
  EXPECT_GT(refused_reviews, 0) << "no self-review violations generated";
  std::cout << "late arrivals " << late << ", violations " << violations << "\n";
}

}  // namespace
}  // namespace rectsync::store
