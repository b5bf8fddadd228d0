#include "aggregator/reconcile.h"

#include <gtest/gtest.h>

#include "aggregator/replica.h"
#include "aggregator/test_records.h"

namespace rectsync::aggregator {
namespace {

using namespace testing;  // NOLINT: test record builders

constexpr char kTown[] = "32/01";
constexpr char kVillage[] = "32/01/001";

// A village with 3 problems: one closed after an accepted claim, one claimed
// and not yet reviewed, one open; figures reported for 2023-Q2.
class ReconcileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Ledger l;
    auto add = [&](DecodedRecord r) {
      EXPECT_TRUE(replica_.Add(r).ok());
      return r;
    };
    add(Raise(l.Next(kVillage, 10), "32/01/001:P1", kVillage));
    add(Raise(l.Next(kVillage, 11), "32/01/001:P2", kVillage));
    add(Raise(l.Next(kVillage, 12), "32/01/001:P3", kVillage));
    DecodedRecord claim = add(ClaimDone(l.Next(kVillage, 13), "32/01/001:P1"));
    add(ClaimDone(l.Next(kVillage, 14), "32/01/001:P2"));
    add(Review(l.Next(kTown, 15), "32/01/001:P1", claim.id, true));
    add(Close(l.Next(kTown, 16), "32/01/001:P1"));
    figures_record_ = add(Figures(l.Next(kVillage, 17), kVillage, "2023-Q2",
                                  {{"problems", 3}, {"closed", 1}, {"rectified", 1}}));
  }

  const Counters& Village() { return replica_.rollups().at(kVillage); }

  std::vector<v1::FigureState> Figure(const std::string& indicator, int64_t value,
                                      const std::string& period = "2023-Q2") {
    v1::FigureState f;
    f.set_unit(kVillage);
    f.set_period(period);
    f.set_indicator(indicator);
    f.set_value(value);
    *f.mutable_key() = KeyOf(figures_record_.body);
    f.set_record_id(figures_record_.id);
    return {f};
  }

  Replica replica_;
  DecodedRecord figures_record_;
};

TEST_F(ReconcileTest, ACleanLedgerHasNoDifferences) {
  EXPECT_TRUE(CompareAttested(kVillage, Village(), Village(), replica_.problems()).empty());
  std::vector<v1::FigureState> fs = Figure("problems", 3);
  for (auto& f : Figure("closed", 1)) fs.push_back(f);
  for (auto& f : Figure("rectified", 1)) fs.push_back(f);
  EXPECT_TRUE(CheckFigures(kVillage, fs, Village(), replica_.problems()).empty());
  EXPECT_TRUE(CheckParts(kVillage, fs).empty());
  EXPECT_TRUE(CheckStatusSum(kVillage, Village()).empty());
  EXPECT_TRUE(CheckStatusSum(kTown, replica_.rollups().at(kTown)).empty());
}

TEST_F(ReconcileTest, AnAttestationThatOverstatesClosuresIsListedWithTheProblemsBehindIt) {
  Counters attested = Village();
  attested["status/closed"] += 2;
  auto ds = CompareAttested(kVillage, attested, Village(), replica_.problems());
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].kind(), "attested_counter");
  EXPECT_EQ(ds[0].key(), "status/closed");
  EXPECT_EQ(ds[0].stated(), 3);
  EXPECT_EQ(ds[0].recorded(), 1);
  ASSERT_EQ(ds[0].records_size(), 1);
  EXPECT_NE(ds[0].records(0).find("32/01/001:P1"), std::string::npos) << ds[0].records(0);
}

TEST_F(ReconcileTest, AnAttestedCounterTheRecordsDoNotHaveIsListed) {
  Counters attested = Village();
  attested["category/roads"] = 0;
  attested["category/村务"] = 4;
  auto ds = CompareAttested(kVillage, attested, Village(), replica_.problems());
  ASSERT_EQ(ds.size(), 2u);
  EXPECT_EQ(ds[0].key(), "category/roads");
  EXPECT_EQ(ds[0].recorded(), 3);
  EXPECT_EQ(ds[0].records_size(), 3);
  EXPECT_EQ(ds[1].key(), "category/村务");
  EXPECT_EQ(ds[1].stated(), 4);
}

TEST_F(ReconcileTest, ReportedRectifiedAboveTheVerifiedCountIsListed) {
  // "31 problems rectified while the ledger shows 29": here 2 against 1.
  auto ds = CheckFigures(kVillage, Figure("rectified", 2), Village(), replica_.problems());
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].kind(), "figure_vs_ledger");
  EXPECT_EQ(ds[0].stated(), 2);
  EXPECT_EQ(ds[0].recorded(), 1);
  ASSERT_GE(ds[0].records_size(), 2);
  EXPECT_NE(ds[0].records(0).find("figure @ 32/01/001#6"), std::string::npos) << ds[0].records(0);
  EXPECT_NE(ds[0].records(1).find("32/01/001:P1"), std::string::npos) << ds[0].records(1);
}

TEST_F(ReconcileTest, OnlyTheLatestPeriodIsComparedAndUnmappedIndicatorsAreNot) {
  std::vector<v1::FigureState> fs = Figure("problems", 2, "2023-Q1");  // stale, not compared
  for (auto& f : Figure("problems", 3, "2023-Q2")) fs.push_back(f);
  for (auto& f : Figure("visits_made", 120)) fs.push_back(f);
  EXPECT_TRUE(CheckFigures(kVillage, fs, Village(), replica_.problems()).empty());
  fs = Figure("problems", 4, "2023-Q3");
  EXPECT_EQ(CheckFigures(kVillage, fs, Village(), replica_.problems()).size(), 1u);
}

TEST_F(ReconcileTest, PartsMustAddUpToTheirTotal) {
  // Seed 000: 收集问题4246个 = 10 + 2 + 1804 + 2430.
  std::vector<v1::FigureState> fs = Figure("problems_collected", 4246);
  for (auto& [k, v] : std::vector<std::pair<std::string, int64_t>>{
           {"检举控告", 10}, {"涉法涉诉", 2}, {"民生诉求", 1804}, {"意见建议", 2430}}) {
    for (auto& f : Figure("problems_collected/" + k, v)) fs.push_back(f);
  }
  EXPECT_TRUE(CheckParts(kVillage, fs).empty());
  fs[0].set_value(4247);
  auto ds = CheckParts(kVillage, fs);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].kind(), "parts_vs_total");
  EXPECT_EQ(ds[0].key(), "problems_collected");
  EXPECT_EQ(ds[0].stated(), 4247);
  EXPECT_EQ(ds[0].recorded(), 4246);
}

TEST_F(ReconcileTest, StatusCountsMustAddUpToProblems) {
  Counters broken = Village();
  broken["status/open"] += 1;
  auto ds = CheckStatusSum(kVillage, broken);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].kind(), "status_sum");
  EXPECT_EQ(ds[0].stated(), 3);
  EXPECT_EQ(ds[0].recorded(), 4);
}

}  // namespace
}  // namespace rectsync::aggregator
