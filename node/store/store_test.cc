// Store tests against a real RocksDB in a scratch directory: atomic chained
// appends, all-or-nothing batches, reopening, ordered scans.
#include "node/store/store.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "aggregator/test_records.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/record/trust.h"
#include "node/store/test_ledger.h"
#include "node/store/test_util.h"
#include "rocksdb/db.h"

namespace rectsync::store {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::Dump;
using testing::ScopedTempDir;
using testing::SignedLedger;
using testing::StoreDump;
namespace at = ::rectsync::aggregator::testing;

const std::string kCity = "3201";
const std::string kCounty = "3201/320115";
const std::string kOtherCounty = "3201/320116";
const std::string kTown = "3201/320115/320115003";
const std::string kVillage = "3201/320115/320115003/320115003012";
const std::string kP1 = "3201:P1";

constexpr uint64_t kBase = uint64_t{1717200000000} << 16;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(record::InitCrypto().ok());
    Reopen();
  }

  void Reopen(bool sync = true) {
    store_.reset();
    absl::StatusOr<std::unique_ptr<Store>> s = Store::Open(dir_.path() + "/db", StoreOptions{sync});
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }

  // A draft from `origin`, stamped one tick after the previous draft.
  aggregator::DecodedRecord Next(const std::string& origin) {
    return ledger_.Draft(origin, kBase + ++ticks_);
  }
  StoredRecord Seal(aggregator::DecodedRecord draft) { return ledger_.Seal(std::move(draft)); }

  absl::Status Append(const std::vector<StoredRecord>& batch) { return store_->Append(batch); }

  // City raises P1 against the county; the county adds a measure and reports
  // funds recovered on it.
  std::vector<StoredRecord> FirstBatch() {
    return {Seal(at::Raise(Next(kCity), kP1, kCounty, "2024-06-30")),
            Seal(at::AddMeasure(Next(kCounty), kP1, kCounty + ":M1")),
            Seal(at::Progress(Next(kCounty), kP1, kCounty + ":M1", true, 50000, 1))};
  }

  ScopedTempDir dir_{"store_test"};
  std::unique_ptr<Store> store_;
  SignedLedger ledger_;
  uint64_t ticks_ = 0;
};

TEST_F(StoreTest, AppendsAChainedBatchAtomically) {
  std::vector<StoredRecord> batch = FirstBatch();
  batch.push_back(Seal(at::Figures(Next(kCity), kCity, "2024-Q2", {{"visits", 12}})));
  ASSERT_TRUE(Append(batch).ok());

  absl::StatusOr<Head> city = store_->GetHead(kCity);
  ASSERT_TRUE(city.ok()) << city.status();
  EXPECT_EQ(city->seq, 2u);
  EXPECT_EQ(city->id, batch[3].decoded.id);
  EXPECT_EQ(city->hlc, batch[3].decoded.body.hlc());
  absl::StatusOr<Head> county = store_->GetHead(kCounty);
  ASSERT_TRUE(county.ok());
  EXPECT_EQ(county->seq, 2u);
  EXPECT_EQ(county->id, batch[2].decoded.id);
  EXPECT_EQ(store_->GetHead(kOtherCounty)->seq, 0u);

  for (const StoredRecord& r : batch) {
    auto held = store_->GetRecord(r.decoded.body.origin(), r.decoded.body.seq());
    ASSERT_TRUE(held.ok() && held->has_value());
    EXPECT_EQ((*held)->SerializeAsString(), r.envelope.SerializeAsString());
  }
  EXPECT_FALSE(store_->GetRecord(kCity, 3)->has_value());

  auto p1 = store_->GetProblem(kP1);
  ASSERT_TRUE(p1.ok() && p1->has_value());
  const v1::ProblemState& s = **p1;
  EXPECT_TRUE(s.raised());
  EXPECT_EQ(s.unit(), kCounty);
  EXPECT_EQ(s.status(), v1::STATUS_IN_PROGRESS);
  ASSERT_EQ(s.measures_size(), 1);
  EXPECT_TRUE(s.measures(0).done());
  EXPECT_EQ(s.outcomes().funds_recovered_fen(), 50000);
  EXPECT_EQ(s.history_size(), 3);
  EXPECT_EQ(s.violations_size(), 0);

  for (const std::string& unit : {kCounty, kCity}) {
    auto counters = store_->GetRollup(unit);
    ASSERT_TRUE(counters.ok());
    EXPECT_EQ(counters->at("problems"), 1) << unit;
    EXPECT_EQ(counters->at("out/funds_recovered_fen"), 50000) << unit;
    EXPECT_EQ(counters->at("measures_done"), 1) << unit;
  }
  EXPECT_EQ(store_->GetRollup(kCity)->at("fig/2024-Q2/visits"), 12);
  EXPECT_TRUE(store_->GetRollup(kOtherCounty)->empty());
  EXPECT_THAT(*store_->ChildUnits(kCity), ElementsAre(kCounty));

  std::vector<std::string> listed;
  ASSERT_TRUE(store_->ScanProblems(kCounty, [&](const v1::ProblemState& p) {
    listed.push_back(p.problem_id());
    return true;
  }).ok());
  EXPECT_THAT(listed, ElementsAre(kP1));
  listed.clear();
  ASSERT_TRUE(store_->ScanProblems(kOtherCounty, [&](const v1::ProblemState& p) {
    listed.push_back(p.problem_id());
    return true;
  }).ok());
  EXPECT_TRUE(listed.empty());
}

// Each broken batch must be refused with FailedPrecondition naming the break,
// and leave every column family exactly as it was.
TEST_F(StoreTest, BatchWithABreakInTheMiddleWritesNothing) {
  ASSERT_TRUE(Append(FirstBatch()).ok());
  const Head city = *store_->GetHead(kCity);

  struct Case {
    std::string name;
    std::vector<StoredRecord> batch;
    std::string message;
  };
  std::vector<Case> cases;
  {
    SignedLedger l = ledger_;  // same keys and heads; its records are not kept
    StoredRecord a = l.Seal(at::Raise(Next(kCity), "3201:P2", kCounty));
    l.Seal(at::Raise(Next(kCity), "3201:P3", kCounty));  // seq 3, never sent
    StoredRecord c = l.Seal(at::Raise(Next(kCity), "3201:P4", kCounty));
    StoredRecord d = l.Seal(at::Progress(Next(kCounty), kP1));
    cases.push_back({"gap", {a, c, d}, "3201#4 does not follow the stored head seq 2 (gap)"});
  }
  {
    SignedLedger l = ledger_;
    StoredRecord a = l.Seal(at::Raise(Next(kCity), "3201:P2", kCounty));
    StoredRecord bad = l.SealAs(at::Raise(Next(kCity), "3201:P3", kCounty), 3,
                                at::FakeId("elsewhere", 9));
    StoredRecord d = l.Seal(at::Progress(Next(kCounty), kP1));
    cases.push_back({"wrong prev", {a, bad, d}, "3201#3: prev does not match the id of seq 2"});
  }
  {
    SignedLedger l = ledger_;
    StoredRecord a = l.Seal(at::Progress(Next(kCounty), kP1));
    StoredRecord replay = l.SealAs(at::Raise(Next(kCity), "3201:P9", kCounty), 1, "");
    StoredRecord d = l.Seal(at::Raise(Next(kCity), "3201:P2", kCounty));
    cases.push_back({"replay", {a, replay, d}, "3201#1 does not follow the stored head seq 1"});
  }
  {
    // The break is in the second origin, after a valid run of the first.
    SignedLedger l = ledger_;
    StoredRecord a = l.Seal(at::Raise(Next(kCity), "3201:P2", kCounty));
    StoredRecord b = l.Seal(at::Raise(Next(kCity), "3201:P3", kCounty));
    StoredRecord dup = l.SealAs(at::Progress(Next(kCounty), kP1), 2, l.HeadOf(kCounty).id);
    cases.push_back({"second origin", {a, b, dup}, "3201/320115#2 does not follow"});
  }
  {
    // Within the batch, the second record must chain from the first.
    SignedLedger l = ledger_;
    StoredRecord a = l.Seal(at::Raise(Next(kCity), "3201:P2", kCounty));
    StoredRecord b =
        l.SealAs(at::Raise(Next(kCity), "3201:P3", kCounty), 3, store_->GetHead(kCity)->id);
    cases.push_back({"within batch", {a, b}, "3201#3: prev does not match the id of seq 2"});
  }

  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const StoreDump before = Dump(*store_);
    const rocksdb::SequenceNumber seq_before = store_->db()->GetLatestSequenceNumber();
    absl::Status s = Append(c.batch);
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
    EXPECT_THAT(s.message(), HasSubstr(c.message));
    EXPECT_EQ(store_->db()->GetLatestSequenceNumber(), seq_before);
    EXPECT_TRUE(Dump(*store_) == before) << "a refused batch changed the store";
    EXPECT_EQ(store_->GetHead(kCity)->seq, city.seq);
    EXPECT_FALSE(store_->GetProblem("3201:P2")->has_value());
  }

  // A check that refuses the batch's second record also leaves no trace.
  {
    SignedLedger l = ledger_;
    std::vector<StoredRecord> batch = {l.Seal(at::Raise(Next(kCity), "3201:P2", kCounty)),
                                       l.Seal(at::Raise(Next(kCity), "3201:P3", kCounty))};
    const StoreDump before = Dump(*store_);
    int seen = 0;
    absl::Status s = store_->Append(
        batch, [&](const aggregator::DecodedRecord& r, const v1::ProblemState* problem) {
          ++seen;
          EXPECT_TRUE(problem != nullptr && problem->problem_id() == aggregator::ProblemOf(r.body));
          return r.body.seq() == 3 ? absl::FailedPreconditionError("refused: test check")
                                   : absl::OkStatus();
        });
    EXPECT_EQ(seen, 2);
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(s.message(), HasSubstr("refused: test check"));
    EXPECT_TRUE(Dump(*store_) == before);
  }

  // The store is still usable: the right continuation goes in.
  ASSERT_TRUE(Append({Seal(at::Raise(Next(kCity), "3201:P2", kCounty))}).ok());
  EXPECT_EQ(store_->GetHead(kCity)->seq, 2u);
  EXPECT_TRUE(store_->GetProblem("3201:P2")->has_value());
}

TEST_F(StoreTest, ReopenAfterCloseKeepsEverything) {
  ASSERT_TRUE(Append(FirstBatch()).ok());
  std::vector<StoredRecord> claim = {Seal(at::ClaimDone(Next(kCounty), kP1))};
  ASSERT_TRUE(Append(claim).ok());
  ASSERT_TRUE(Append({Seal(at::Review(Next(kCity), kP1, claim[0].decoded.id, true))}).ok());
  ASSERT_TRUE(store_->PutMeta("unit", kCity).ok());
  const StoreDump before = Dump(*store_);
  ASSERT_FALSE(before.at("records").empty());

  Reopen();
  EXPECT_TRUE(Dump(*store_) == before) << "reopening changed the store";
  EXPECT_EQ(**store_->GetMeta("unit"), kCity);
  EXPECT_EQ((*store_->GetProblem(kP1))->status(), v1::STATUS_ACCEPTED);
  EXPECT_EQ(store_->GetRollup(kCity)->at("verified_complete"), 1);

  // The chain continues from the persisted heads; a replay is still refused.
  absl::Status replay =
      Append({ledger_.SealAs(at::Close(Next(kCity), kP1), 2, ledger_.HeadOf(kCity).id)});
  EXPECT_EQ(replay.code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(Append({Seal(at::Close(Next(kCity), kP1))}).ok());
  EXPECT_EQ(store_->GetHead(kCity)->seq, 3u);

  // Unsynced writes survive a clean close too.
  Reopen(/*sync=*/false);
  ASSERT_TRUE(Append({Seal(at::Reopen(Next(kCity), kP1))}).ok());
  Reopen();
  EXPECT_EQ(store_->GetHead(kCity)->seq, 4u);
  EXPECT_EQ((*store_->GetProblem(kP1))->reopen_count(), 1u);
}

// The digest of a subtree's frontier, recomputed from its heads.
FrontierDigest Recomputed(const Store& store, const std::string& unit) {
  FrontierDigest d;
  const HeadTable::Heads heads = *store.HeadsUnder(unit);
  for (const auto& [origin, head] : heads) d.Toggle(origin, head.seq, head.id);
  return d;
}

// Heads come from memory (HeadTable); the digests of every subtree follow
// each append, not a refused one, and are the same after reopening; moves
// are listed by version, so a reader asks only for what moved.
TEST_F(StoreTest, HeadTableKeepsEachSubtreesDigestAndWhatMoved) {
  const HeadTable& table = store_->head_table();
  EXPECT_EQ(table.DigestUnder(kCity), FrontierDigest());
  ASSERT_TRUE(Append(FirstBatch()).ok());
  const uint64_t v1 = table.version();
  EXPECT_EQ(v1, 2u);  // the city and the county moved once each
  for (const std::string& unit : {kCity, kCounty, kOtherCounty, kTown}) {
    SCOPED_TRACE(unit);
    EXPECT_EQ(table.DigestUnder(unit), Recomputed(*store_, unit));
  }
  EXPECT_NE(table.DigestUnder(kCity), table.DigestUnder(kCounty));
  EXPECT_EQ(table.DigestUnder(kOtherCounty), FrontierDigest());

  // The county moves, the city does not: the city's subtree digest changes
  // with the county's; what moved since v1 is the county alone.
  const FrontierDigest city_before = table.DigestUnder(kCity);
  ASSERT_TRUE(Append({Seal(at::Progress(Next(kCounty), kP1))}).ok());
  EXPECT_NE(table.DigestUnder(kCity), city_before);
  EXPECT_EQ(table.DigestUnder(kCity), Recomputed(*store_, kCity));
  HeadTable::Heads moved = table.MovedSince(v1, kCity);
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].first, kCounty);
  EXPECT_EQ(moved[0].second.seq, 3u);
  EXPECT_TRUE(table.MovedSince(table.version(), kCity).empty());
  EXPECT_TRUE(table.MovedSince(v1, kOtherCounty).empty());

  // A refused batch moves nothing.
  const FrontierDigest held = table.DigestUnder(kCity);
  const uint64_t version = table.version();
  EXPECT_FALSE(Append({ledger_.SealAs(at::Progress(Next(kCounty), kP1), 9, at::FakeId("elsewhere", 8))}).ok());
  EXPECT_EQ(table.DigestUnder(kCity), held);
  EXPECT_EQ(table.version(), version);

  // Reopened: the same heads and digests, loaded from the heads column family.
  Reopen();
  EXPECT_EQ(store_->head_table().DigestUnder(kCity), held);
  EXPECT_EQ(store_->head_table().DigestUnder(kCounty), Recomputed(*store_, kCounty));
  EXPECT_EQ(store_->GetHead(kCounty)->seq, 3u);
  EXPECT_EQ(store_->head_table().version(), 0u);
}

TEST_F(StoreTest, ScansAreOrderedByOriginThenSeq) {
  // More than 256 records, so a little-endian seq would sort wrongly; and an
  // origin ("3201-x") that shares a string prefix with the city.
  const std::string kSibling = "3201-x";
  for (int batch = 0; batch < 6; ++batch) {
    std::vector<StoredRecord> records;
    for (int i = 0; i < 50; ++i) {
      records.push_back(Seal(at::Figures(Next(kCity), kCity, "2024-06",
                                         {{"visits", batch * 50 + i}})));
    }
    records.push_back(Seal(at::Figures(Next(kSibling), kSibling, "2024-06", {{"visits", 1}})));
    records.push_back(Seal(at::Figures(Next(kCounty), kCounty, "2024-06", {{"visits", 1}})));
    ASSERT_TRUE(Append(records).ok());
  }

  std::vector<uint64_t> seqs;
  ASSERT_TRUE(store_->ScanOrigin(kCity, 1, [&](uint64_t seq, const v1::Record& env) {
    seqs.push_back(seq);
    v1::RecordBody body;
    EXPECT_TRUE(body.ParseFromString(env.body()));
    EXPECT_EQ(body.origin(), kCity);
    EXPECT_EQ(body.seq(), seq);
    return true;
  }).ok());
  ASSERT_EQ(seqs.size(), 300u);
  for (size_t i = 0; i < seqs.size(); ++i) ASSERT_EQ(seqs[i], i + 1);

  seqs.clear();
  ASSERT_TRUE(store_->ScanOrigin(kCity, 255, [&](uint64_t seq, const v1::Record&) {
    seqs.push_back(seq);
    return true;
  }).ok());
  ASSERT_EQ(seqs.size(), 46u);
  EXPECT_EQ(seqs.front(), 255u);
  EXPECT_EQ(seqs.back(), 300u);

  int calls = 0;
  ASSERT_TRUE(store_->ScanOrigin(kCity, 1, [&](uint64_t, const v1::Record&) {
    return ++calls < 3;
  }).ok());
  EXPECT_EQ(calls, 3);
  calls = 0;
  ASSERT_TRUE(store_->ScanOrigin(kCity, 301, [&](uint64_t, const v1::Record&) {
    return ++calls > 0;
  }).ok());
  ASSERT_TRUE(store_->ScanOrigin("320", 1, [&](uint64_t, const v1::Record&) {
    return ++calls > 0;
  }).ok());
  EXPECT_EQ(calls, 0);

  auto heads = store_->Heads();
  ASSERT_TRUE(heads.ok());
  ASSERT_EQ(heads->size(), 3u);
  EXPECT_EQ((*heads)[0].first, kCity);
  EXPECT_EQ((*heads)[0].second.seq, 300u);
  EXPECT_EQ((*heads)[1].first, kSibling);
  EXPECT_EQ((*heads)[2].first, kCounty);
  EXPECT_EQ((*heads)[2].second.seq, 6u);
  EXPECT_EQ((*heads)[0].second.id, store_->GetHead(kCity)->id);

  std::vector<std::pair<std::string, uint64_t>> all;
  ASSERT_TRUE(store_->ScanAll([&](const std::string& origin, uint64_t seq, const v1::Record&) {
    all.emplace_back(origin, seq);
    return true;
  }).ok());
  ASSERT_EQ(all.size(), 312u);
  EXPECT_EQ(all[0], std::make_pair(kCity, uint64_t{1}));
  EXPECT_EQ(all[299], std::make_pair(kCity, uint64_t{300}));
  EXPECT_EQ(all[300], std::make_pair(kSibling, uint64_t{1}));
  EXPECT_EQ(all[306], std::make_pair(kCounty, uint64_t{1}));
  EXPECT_EQ(all[311], std::make_pair(kCounty, uint64_t{6}));
}

aggregator::DecodedRecord Enrol(aggregator::DecodedRecord r, const std::string& unit,
                                v1::Level level, const std::string& public_key) {
  auto* e = r.body.mutable_unit_enrolled();
  e->set_unit(unit);
  e->set_name(absl::StrCat("unit ", unit));
  e->set_level(level);
  e->set_public_key(public_key);
  e->set_valid_from_ms(record::HlcMillis(r.body.hlc()));
  return r;
}

TEST_F(StoreTest, EnrolmentsComeEnrollerBeforeEnrolled) {
  // Appended deepest first (the store does not check trust), so the order
  // returned comes from the key layout, not from arrival.
  auto key = [&](const std::string& unit) { return ledger_.KeyOf(unit).public_key(); };
  const uint64_t t = kBase + 1000;  // every enrolment valid from before its use
  auto at_time = [&](const std::string& origin, uint64_t hlc) { return ledger_.Draft(origin, hlc); };
  StoredRecord town_enrols_village =
      Seal(Enrol(at_time(kTown, t + 40), kVillage, v1::LEVEL_VILLAGE, key(kVillage)));
  StoredRecord county_enrols_town =
      Seal(Enrol(at_time(kCounty, t + 30), kTown, v1::LEVEL_TOWNSHIP, key(kTown)));
  StoredRecord city_self = Seal(Enrol(at_time(kCity, t), kCity, v1::LEVEL_CITY, key(kCity)));
  StoredRecord city_raises = Seal(at::Raise(at_time(kCity, t + 5), kP1, kCounty));
  StoredRecord city_enrols_county =
      Seal(Enrol(at_time(kCity, t + 10), kCounty, v1::LEVEL_COUNTY, key(kCounty)));
  StoredRecord city_enrols_other =
      Seal(Enrol(at_time(kCity, t + 20), kOtherCounty, v1::LEVEL_COUNTY, key(kOtherCounty)));
  ASSERT_TRUE(Append({town_enrols_village}).ok());
  ASSERT_TRUE(Append({county_enrols_town}).ok());
  ASSERT_TRUE(Append({city_self, city_raises, city_enrols_county, city_enrols_other}).ok());

  auto enrolments = store_->Enrolments();
  ASSERT_TRUE(enrolments.ok()) << enrolments.status();
  std::vector<std::string> ids;
  for (const v1::Record& env : *enrolments) ids.push_back(record::RecordId(env));
  EXPECT_THAT(ids, ElementsAre(city_self.decoded.id, city_enrols_county.decoded.id,
                               city_enrols_other.decoded.id, county_enrols_town.decoded.id,
                               town_enrols_village.decoded.id));

  // Which is what a trust store needs: admitting them in this order works.
  record::TrustStore trust(key(kCity));
  for (const v1::Record& env : *enrolments) {
    auto r = record::Open(env);
    ASSERT_TRUE(r.ok()) << r.status();
    absl::Status s = trust.Admit(env, *r);
    EXPECT_TRUE(s.ok()) << s;
  }
  ASSERT_NE(trust.Find(kVillage), nullptr);
  EXPECT_EQ(trust.Find(kVillage)->public_key, key(kVillage));
}

}  // namespace
}  // namespace rectsync::store
