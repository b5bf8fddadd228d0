#include "aggregator/rollup.h"

#include <string>
#include <vector>

#include "aggregator/date.h"
#include "aggregator/fold.h"
#include "aggregator/replica.h"
#include "aggregator/test_records.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rectsync::aggregator {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;
using namespace ::rectsync::aggregator::testing;  // NOLINT: test helpers

int64_t Get(const Counters& c, const std::string& key) {
  auto it = c.find(key);
  return it == c.end() ? 0 : it->second;
}

// Builds problem states by folding records written in hlc order.
class Builder {
 public:
  const DecodedRecord& Add(DecodedRecord r) {
    records_.push_back(std::move(r));
    return records_.back();
  }
  DecodedRecord Next(const std::string& origin) { return ledger_.Next(origin, ++hlc_); }
  v1::ProblemState Fold(const std::string& id = kP) const {
    return FoldProblem(id, Ptrs(records_));
  }

 private:
  Ledger ledger_;
  uint64_t hlc_ = 1000;
  std::vector<DecodedRecord> records_;
};

// --- Contribution ---------------------------------------------------------

TEST(ContributionTest, UnraisedContributesNothing) {
  Builder b;
  b.Add(Progress(b.Next(kVillage), kP));  // orphan
  v1::ProblemState s = b.Fold();
  ASSERT_EQ(s.violations_size(), 1);
  EXPECT_THAT(Contribution(s), IsEmpty());
}

TEST(ContributionTest, OpenProblem) {
  Builder b;
  b.Add(Raise(b.Next(kCounty), kP, kVillage, "2024-06-30", "roads", v1::SOURCE_PETITION));
  EXPECT_THAT(Contribution(b.Fold()),
              UnorderedElementsAre(Pair("problems", 1), Pair("status/open", 1),
                                   Pair("category/roads", 1), Pair("source/petition", 1),
                                   Pair("due/2024-06-30", 1)));
}

TEST(ContributionTest, InProgressWithMeasuresOutcomesViolations) {
  Builder b;
  b.Add(Raise(b.Next(kCounty), kP, kVillage, ""));
  b.Add(AddMeasure(b.Next(kVillage), kP, kVillage + ":m1"));
  b.Add(AddMeasure(b.Next(kVillage), kP, kVillage + ":m2"));
  b.Add(Progress(b.Next(kVillage), kP, kVillage + ":m1", true, 1500, 2));
  b.Add(Close(b.Next(kVillage2), kP));  // violation
  Counters c = Contribution(b.Fold());
  EXPECT_EQ(Get(c, "status/in_progress"), 1);
  EXPECT_EQ(Get(c, "due/none"), 1);
  EXPECT_EQ(Get(c, "measures"), 2);
  EXPECT_EQ(Get(c, "measures_done"), 1);
  EXPECT_EQ(Get(c, "violations"), 1);
  EXPECT_EQ(Get(c, "out/funds_recovered_fen"), 1500);
  EXPECT_EQ(Get(c, "out/people_disciplined"), 2);
  EXPECT_EQ(c.count("out/rules_made"), 0u);  // zeros are left out
  EXPECT_EQ(c.count("claimed_complete"), 0u);
}

TEST(ContributionTest, ClaimedCountsAsClaimedNotVerified) {
  Builder b;
  b.Add(Raise(b.Next(kCounty), kP, kVillage, "2024-06-30"));
  b.Add(ClaimDone(b.Next(kVillage), kP, v1::CLAIM_BASICALLY_COMPLETED));
  Counters c = Contribution(b.Fold());
  EXPECT_EQ(Get(c, "status/claimed"), 1);
  EXPECT_EQ(Get(c, "claimed_complete"), 1);
  EXPECT_EQ(Get(c, "verified_complete"), 0);
  EXPECT_EQ(Get(c, "due/2024-06-30"), 1);  // a pending completion claim keeps the clock running
  EXPECT_EQ(c.count("kind/basically_completed"), 0u);
}

TEST(ContributionTest, AcceptedAndClosedCountAsVerified) {
  Builder b;
  b.Add(Raise(b.Next(kCounty), kP, kVillage, "2024-06-30"));
  std::string claim = b.Add(ClaimDone(b.Next(kVillage), kP)).id;
  b.Add(Review(b.Next(kTown), kP, claim, true));
  Counters accepted = Contribution(b.Fold());
  EXPECT_EQ(Get(accepted, "status/accepted"), 1);
  EXPECT_EQ(Get(accepted, "kind/completed"), 1);
  EXPECT_EQ(Get(accepted, "claimed_complete"), 1);
  EXPECT_EQ(Get(accepted, "verified_complete"), 1);
  EXPECT_EQ(Get(accepted, "due/2024-06-30"), 0);
  b.Add(Close(b.Next(kCounty), kP));
  Counters closed = Contribution(b.Fold());
  EXPECT_EQ(Get(closed, "status/closed"), 1);
  EXPECT_EQ(Get(closed, "status/accepted"), 0);
  EXPECT_EQ(Get(closed, "verified_complete"), 1);
}

TEST(ContributionTest, LongTermIsAKindNotACompletion) {
  Builder b;
  b.Add(Raise(b.Next(kCounty), kP, kVillage, "2024-06-30"));
  std::string claim = b.Add(ClaimDone(b.Next(kVillage), kP, v1::CLAIM_LONG_TERM)).id;
  Counters claimed = Contribution(b.Fold());
  EXPECT_EQ(Get(claimed, "claimed_complete"), 0);
  EXPECT_EQ(Get(claimed, "due/2024-06-30"), 0);
  b.Add(Review(b.Next(kTown), kP, claim, true));
  Counters c = Contribution(b.Fold());
  EXPECT_EQ(Get(c, "kind/long_term"), 1);
  EXPECT_EQ(Get(c, "claimed_complete"), 0);
  EXPECT_EQ(Get(c, "verified_complete"), 0);
}

TEST(ContributionTest, RejectedClaimCountsNothing) {
  Builder b;
  b.Add(Raise(b.Next(kCounty), kP, kVillage, "2024-06-30"));
  std::string claim = b.Add(ClaimDone(b.Next(kVillage), kP)).id;
  b.Add(Review(b.Next(kTown), kP, claim, false));
  Counters c = Contribution(b.Fold());
  EXPECT_EQ(Get(c, "status/in_progress"), 1);
  EXPECT_EQ(Get(c, "claimed_complete"), 0);
  EXPECT_EQ(Get(c, "verified_complete"), 0);
  EXPECT_EQ(Get(c, "due/2024-06-30"), 1);
}

// --- Deltas ---------------------------------------------------------------

TEST(AddProblemDeltaTest, NewProblemReachesEveryAncestor) {
  Builder b;
  b.Add(Raise(b.Next(kCounty), kP, kVillage, "2024-06-30"));
  RollupDelta d;
  AddProblemDelta(nullptr, b.Fold(), &d);
  EXPECT_EQ(d.size(), 4u);
  for (const std::string& u : {kVillage, kTown, kCounty, kCity}) {
    EXPECT_EQ(Get(d[u], "problems"), 1) << u;
    EXPECT_EQ(Get(d[u], "status/open"), 1) << u;
  }
  EXPECT_EQ(d.count(kVillage2), 0u);
}

TEST(AddProblemDeltaTest, StatusChangeMovesOneCount) {
  Builder b;
  b.Add(Raise(b.Next(kCounty), kP, kVillage, "2024-06-30"));
  v1::ProblemState before = b.Fold();
  b.Add(Progress(b.Next(kVillage), kP, "", false, 42));
  v1::ProblemState after = b.Fold();
  RollupDelta d;
  AddProblemDelta(&before, after, &d);
  for (const std::string& u : {kVillage, kTown, kCounty, kCity}) {
    EXPECT_THAT(d[u], UnorderedElementsAre(Pair("status/open", -1), Pair("status/in_progress", 1),
                                           Pair("out/funds_recovered_fen", 42)))
        << u;
  }
}

TEST(AddProblemDeltaTest, NoChangeNoDelta) {
  Builder b;
  b.Add(Raise(b.Next(kCounty), kP, kVillage, "2024-06-30"));
  v1::ProblemState s = b.Fold();
  RollupDelta d;
  AddProblemDelta(&s, s, &d);
  for (const auto& [unit, counters] : d) EXPECT_THAT(counters, IsEmpty()) << unit;
}

TEST(AddProblemDeltaTest, AmendedResponsibleUnitMovesCountsBetweenSubtrees) {
  Builder b;
  b.Add(Raise(b.Next(kCounty), kP, kVillage, "2024-06-30"));
  b.Add(AddMeasure(b.Next(kVillage), kP, kVillage + ":m1"));
  v1::ProblemState before = b.Fold();
  const std::string kOther = kTown2 + "/320115004001";
  b.Add(AmendUnit(b.Next(kCounty), kP, kOther));
  v1::ProblemState after = b.Fold();
  ASSERT_EQ(after.unit(), kOther);
  RollupDelta d;
  AddProblemDelta(&before, after, &d);
  for (auto& [unit, counters] : d) Prune(&counters);  // sums that cancelled
  // The old branch loses the problem, the new branch gains it.
  for (const std::string& u : {kVillage, kTown}) {
    EXPECT_EQ(Get(d[u], "problems"), -1) << u;
    EXPECT_EQ(Get(d[u], "status/in_progress"), -1) << u;
    EXPECT_EQ(Get(d[u], "measures"), -1) << u;
  }
  for (const std::string& u : {kOther, kTown2}) {
    EXPECT_EQ(Get(d[u], "problems"), 1) << u;
    EXPECT_EQ(Get(d[u], "status/in_progress"), 1) << u;
    EXPECT_EQ(Get(d[u], "measures"), 1) << u;
  }
  // Common ancestors see no change at all.
  EXPECT_THAT(d[kCounty], IsEmpty());
  EXPECT_THAT(d[kCity], IsEmpty());
}

TEST(AddProblemDeltaTest, AmendedUnitAndStatusTogether) {
  Builder b;
  b.Add(Raise(b.Next(kCounty), kP, kVillage, "2024-06-30"));
  v1::ProblemState before = b.Fold();
  b.Add(AmendUnit(b.Next(kCounty), kP, kVillage2));
  b.Add(Progress(b.Next(kVillage2), kP));
  v1::ProblemState after = b.Fold();
  RollupDelta d;
  AddProblemDelta(&before, after, &d);
  for (auto& [unit, counters] : d) Prune(&counters);  // sums that cancelled
  EXPECT_THAT(d[kVillage], UnorderedElementsAre(Pair("problems", -1), Pair("status/open", -1),
                                                Pair("category/roads", -1),
                                                Pair("source/inspection", -1),
                                                Pair("due/2024-06-30", -1)));
  EXPECT_EQ(Get(d[kVillage2], "status/in_progress"), 1);
  EXPECT_EQ(Get(d[kVillage2], "status/open"), 0);
  EXPECT_THAT(d[kTown], UnorderedElementsAre(Pair("status/open", -1),
                                             Pair("status/in_progress", 1)));
}

TEST(AddToPathTest, SkipsZeroAndReachesAncestors) {
  RollupDelta d;
  AddToPath(kTown, "fig/2024/x", 0, &d);
  EXPECT_THAT(d, IsEmpty());
  AddToPath(kTown, "fig/2024/x", 5, &d);
  AddToPath(kTown, "fig/2024/x", 2, &d);
  EXPECT_THAT(d, ElementsAre(Pair(kCity, ElementsAre(Pair("fig/2024/x", 7))),
                             Pair(kCounty, ElementsAre(Pair("fig/2024/x", 7))),
                             Pair(kTown, ElementsAre(Pair("fig/2024/x", 7)))));
}

TEST(CountersTest, AccumulateAndPrune) {
  Counters c = {{"a", 1}, {"b", 2}};
  Accumulate({{"a", -1}, {"c", 3}}, &c);
  EXPECT_THAT(c, ElementsAre(Pair("a", 0), Pair("b", 2), Pair("c", 3)));
  Prune(&c);
  EXPECT_THAT(c, ElementsAre(Pair("b", 2), Pair("c", 3)));
}

// --- Summarize --------------------------------------------------------------

TEST(SummarizeTest, CountsRatesColours) {
  const int64_t today = *ParseDate("2024-06-20");
  Counters c = {
      {"problems", 8},
      {"status/open", 2},
      {"status/in_progress", 2},
      {"status/claimed", 1},
      {"status/accepted", 1},
      {"status/closed", 2},
      {"category/roads", 5},
      {"category/funds", 3},
      {"source/inspection", 6},
      {"source/visit", 2},
      {"kind/completed", 2},
      {"kind/long_term", 1},
      {"claimed_complete", 4},
      {"verified_complete", 2},
      {"due/2024-06-19", 1},  // red: yesterday
      {"due/2024-06-20", 1},  // yellow: today
      {"due/2024-06-30", 1},  // yellow: in 10 days
      {"due/2024-07-01", 1},  // green: in 11 days
      {"due/none", 1},
      {"measures", 7},
      {"measures_done", 3},
      {"violations", 2},
      {"out/funds_recovered_fen", 12345},
      {"out/people_handled", 4},
      {"fig/2024-Q1/visits", 30},
      {"fig/2024-Q1/problems_collected/民生诉求", 4},
  };
  v1::Summary s = Summarize(kCounty, c, today);
  EXPECT_EQ(s.unit(), kCounty);
  EXPECT_EQ(s.today(), "2024-06-20");
  EXPECT_EQ(s.problems(), 8);
  EXPECT_THAT(s.by_status(),
              UnorderedElementsAre(Pair("open", 2), Pair("in_progress", 2), Pair("claimed", 1),
                                   Pair("accepted", 1), Pair("closed", 2)));
  EXPECT_THAT(s.by_category(), UnorderedElementsAre(Pair("roads", 5), Pair("funds", 3)));
  EXPECT_THAT(s.by_source(), UnorderedElementsAre(Pair("inspection", 6), Pair("visit", 2)));
  EXPECT_THAT(s.by_claim_kind(),
              UnorderedElementsAre(Pair("completed", 2), Pair("long_term", 1)));
  EXPECT_THAT(s.by_colour(), UnorderedElementsAre(Pair("red", 1), Pair("yellow", 2),
                                                  Pair("green", 1), Pair("no_deadline", 1)));
  EXPECT_EQ(s.claimed_complete(), 4);
  EXPECT_EQ(s.verified_complete(), 2);
  EXPECT_DOUBLE_EQ(s.claimed_rate(), 0.5);
  EXPECT_DOUBLE_EQ(s.verified_rate(), 0.25);
  EXPECT_EQ(s.measures(), 7);
  EXPECT_EQ(s.measures_done(), 3);
  EXPECT_EQ(s.violations(), 2);
  EXPECT_EQ(s.outcomes().funds_recovered_fen(), 12345);
  EXPECT_EQ(s.outcomes().people_handled(), 4);
  EXPECT_EQ(s.outcomes().rules_made(), 0);
  EXPECT_THAT(s.figures(), UnorderedElementsAre(Pair("2024-Q1/visits", 30),
                                                Pair("2024-Q1/problems_collected/民生诉求", 4)));
  EXPECT_EQ(s.children_size(), 0);
}

TEST(SummarizeTest, YellowDaysOption) {
  const int64_t today = *ParseDate("2024-06-20");
  Counters c = {{"problems", 1}, {"due/2024-06-25", 1}};
  EXPECT_THAT(Summarize(kCounty, c, today).by_colour(), ElementsAre(Pair("yellow", 1)));
  SummaryOptions narrow;
  narrow.yellow_days = 4;
  EXPECT_THAT(Summarize(kCounty, c, today, narrow).by_colour(), ElementsAre(Pair("green", 1)));
  narrow.yellow_days = 5;
  EXPECT_THAT(Summarize(kCounty, c, today, narrow).by_colour(), ElementsAre(Pair("yellow", 1)));
}

TEST(SummarizeTest, EmptyHasZeroRates) {
  v1::Summary s = Summarize(kVillage, {}, *ParseDate("2024-06-20"));
  EXPECT_EQ(s.problems(), 0);
  EXPECT_EQ(s.claimed_rate(), 0.0);
  EXPECT_EQ(s.verified_rate(), 0.0);
  EXPECT_THAT(s.by_status(), IsEmpty());
}

// --- Replica: rollups, figures and summaries end to end -------------------

class ReplicaTest : public ::testing::Test {
 protected:
  DecodedRecord Next(const std::string& origin) { return ledger_.Next(origin, ++hlc_); }
  void Add(const DecodedRecord& r) { ASSERT_TRUE(replica_.Add(r).ok()); }
  const Counters& Rollup(const std::string& unit) {
    static const Counters kEmpty;
    auto it = replica_.rollups().find(unit);
    return it == replica_.rollups().end() ? kEmpty : it->second;
  }

  Ledger ledger_;
  uint64_t hlc_ = 1000;
  Replica replica_;
  const int64_t today_ = *ParseDate("2024-06-20");
};

TEST_F(ReplicaTest, LaterFiguresReplaceEarlierAndSumOverTheSubtree) {
  Add(Figures(Next(kVillage), kVillage, "2024-Q1", {{"visits", 5}, {"cases", 1}}));
  Add(Figures(Next(kVillage2), kVillage2, "2024-Q1", {{"visits", 3}}));
  EXPECT_EQ(replica_.Summary(kTown, today_).figures().at("2024-Q1/visits"), 8);
  Add(Figures(Next(kVillage), kVillage, "2024-Q1", {{"visits", 7}}));
  v1::Summary town = replica_.Summary(kTown, today_);
  EXPECT_EQ(town.figures().at("2024-Q1/visits"), 10);  // 7 replaced 5
  EXPECT_EQ(town.figures().at("2024-Q1/cases"), 1);     // untouched by the later report
  EXPECT_EQ(replica_.Summary(kVillage, today_).figures().at("2024-Q1/visits"), 7);
  EXPECT_EQ(replica_.Summary(kCity, today_).figures().at("2024-Q1/visits"), 10);
  // Another period is another slot.
  Add(Figures(Next(kVillage), kVillage, "2024-Q2", {{"visits", 2}}));
  EXPECT_EQ(replica_.Summary(kCity, today_).figures().at("2024-Q1/visits"), 10);
  EXPECT_EQ(replica_.Summary(kCity, today_).figures().at("2024-Q2/visits"), 2);
}

TEST_F(ReplicaTest, EarlierFiguresArrivingLateDoNotReplaceLater) {
  DecodedRecord first = Figures(Next(kVillage), kVillage, "2024-03", {{"visits", 5}});
  DecodedRecord second = Figures(Next(kVillage), kVillage, "2024-03", {{"visits", 9}});
  Add(second);
  Add(first);
  EXPECT_EQ(replica_.Summary(kCity, today_).figures().at("2024-03/visits"), 9);
  Replica in_order;
  ASSERT_TRUE(in_order.Add(first).ok());
  ASSERT_TRUE(in_order.Add(second).ok());
  EXPECT_EQ(in_order.Serialize(), replica_.Serialize());
}

TEST_F(ReplicaTest, FigureDroppedToZeroLeavesNoCounter) {
  Add(Figures(Next(kVillage), kVillage, "2024", {{"visits", 4}}));
  Add(Figures(Next(kVillage), kVillage, "2024", {{"visits", 0}}));
  EXPECT_EQ(Rollup(kCity).count("fig/2024/visits"), 0u);
  EXPECT_EQ(replica_.Summary(kCity, today_).figures().count("2024/visits"), 0u);
}

TEST_F(ReplicaTest, AmendedUnitMovesCountsBetweenSubtrees) {
  const std::string kOther = kTown2 + "/320115004001";
  Add(Raise(Next(kCounty), kP, kVillage, "2024-06-30"));
  EXPECT_EQ(Get(Rollup(kTown), "problems"), 1);
  EXPECT_EQ(Get(Rollup(kTown2), "problems"), 0);
  Add(AmendUnit(Next(kCounty), kP, kOther));
  EXPECT_EQ(replica_.rollups().count(kVillage), 0u);  // emptied units are dropped
  EXPECT_EQ(replica_.rollups().count(kTown), 0u);
  EXPECT_EQ(Get(Rollup(kTown2), "problems"), 1);
  EXPECT_EQ(Get(Rollup(kOther), "status/open"), 1);
  EXPECT_EQ(Get(Rollup(kCounty), "problems"), 1);
  EXPECT_EQ(Get(Rollup(kCity), "problems"), 1);
}

TEST_F(ReplicaTest, SummaryCountsRatesAndChildren) {
  // p1 accepted at kVillage, p2 claimed at kVillage2, p3 open at kTown2.
  const std::string p1 = kCounty + ":p1", p2 = kCounty + ":p2", p3 = kCounty + ":p3";
  Add(Raise(Next(kCounty), p1, kVillage, "2024-06-30"));
  Add(Raise(Next(kCounty), p2, kVillage2, "2024-06-25"));
  Add(Raise(Next(kCounty), p3, kTown2, "2024-06-01", "funds", v1::SOURCE_AUDIT));
  DecodedRecord c1 = ClaimDone(Next(kVillage), p1);
  Add(c1);
  Add(Review(Next(kTown), p1, c1.id, true));
  Add(ClaimDone(Next(kVillage2), p2));
  Add(Close(Next(kVillage2), p1));  // violation: not an ancestor

  v1::Summary s = replica_.Summary(kCounty, today_);
  EXPECT_EQ(s.problems(), 3);
  EXPECT_THAT(s.by_status(), UnorderedElementsAre(Pair("accepted", 1), Pair("claimed", 1),
                                                  Pair("open", 1)));
  EXPECT_THAT(s.by_colour(), UnorderedElementsAre(Pair("yellow", 1), Pair("red", 1)));
  EXPECT_THAT(s.by_category(), UnorderedElementsAre(Pair("roads", 2), Pair("funds", 1)));
  EXPECT_THAT(s.by_source(), UnorderedElementsAre(Pair("inspection", 2), Pair("audit", 1)));
  EXPECT_EQ(s.claimed_complete(), 2);
  EXPECT_EQ(s.verified_complete(), 1);
  EXPECT_DOUBLE_EQ(s.claimed_rate(), 2.0 / 3);
  EXPECT_DOUBLE_EQ(s.verified_rate(), 1.0 / 3);
  EXPECT_EQ(s.violations(), 1);
  ASSERT_EQ(s.children_size(), 2);
  EXPECT_EQ(s.children(0).unit(), kTown);
  EXPECT_EQ(s.children(0).problems(), 2);
  EXPECT_EQ(s.children(1).unit(), kTown2);
  EXPECT_EQ(s.children(1).problems(), 1);
  EXPECT_EQ(s.children(0).children_size(), 0);  // one level only

  v1::Summary town = replica_.Summary(kTown, today_);
  ASSERT_EQ(town.children_size(), 2);
  EXPECT_EQ(town.children(0).unit(), kVillage);
  EXPECT_EQ(town.children(0).verified_complete(), 1);
  EXPECT_EQ(town.children(1).unit(), kVillage2);
  EXPECT_EQ(town.children(1).claimed_complete(), 1);
  EXPECT_EQ(town.children(1).verified_complete(), 0);
}

// Rollup keys sort '-' before '/', so a sibling "x-y" sits between "x" and
// "x/...": the children scan must not stop there.
TEST_F(ReplicaTest, SummaryChildrenSkipHyphenatedSiblings) {
  const std::string kDept = kCounty + "-kjj";           // sibling of the county
  const std::string kSub = kCounty + "/320115003-a";     // sibling of kTown
  Add(Raise(Next(kCity), "3201:d1", kDept));
  Add(Raise(Next(kCounty), kP, kVillage));
  Add(Raise(Next(kCounty), kCounty + ":p2", kSub));
  v1::Summary county = replica_.Summary(kCounty, today_);
  EXPECT_EQ(county.problems(), 2);
  ASSERT_EQ(county.children_size(), 2);
  EXPECT_EQ(county.children(0).unit(), kTown);
  EXPECT_EQ(county.children(1).unit(), kSub);
  v1::Summary town = replica_.Summary(kTown, today_);
  ASSERT_EQ(town.children_size(), 1);
  EXPECT_EQ(town.children(0).unit(), kVillage);
  v1::Summary city = replica_.Summary(kCity, today_);
  EXPECT_EQ(city.problems(), 3);
  ASSERT_EQ(city.children_size(), 2);
  EXPECT_EQ(city.children(0).unit(), kCounty);
  EXPECT_EQ(city.children(1).unit(), kDept);
}

TEST_F(ReplicaTest, DuplicateAddChangesNothing) {
  DecodedRecord r = Raise(Next(kCounty), kP, kVillage, "2024-06-30");
  Add(r);
  const std::string once = replica_.Serialize();
  Add(r);
  EXPECT_EQ(replica_.record_count(), 1u);
  EXPECT_EQ(replica_.Serialize(), once);
  EXPECT_EQ(Get(Rollup(kCity), "problems"), 1);
}

TEST_F(ReplicaTest, LateRecordRefoldsItsProblem) {
  DecodedRecord raise = Raise(Next(kCounty), kP, kVillage, "2024-06-30");
  DecodedRecord claim = ClaimDone(Next(kVillage), kP);
  DecodedRecord review = Review(Next(kCounty), kP, claim.id, true);
  // Review and claim first: orphans until the raise arrives.
  Add(review);
  Add(claim);
  EXPECT_FALSE(replica_.problems().at(kP).raised());
  EXPECT_EQ(replica_.rollups().count(kCity), 0u);
  Add(raise);
  const v1::ProblemState& s = replica_.problems().at(kP);
  EXPECT_EQ(s.status(), v1::STATUS_ACCEPTED);
  EXPECT_EQ(s.violations_size(), 0);
  EXPECT_EQ(Get(Rollup(kCity), "verified_complete"), 1);

  Replica in_order;
  for (const auto* r : {&raise, &claim, &review}) ASSERT_TRUE(in_order.Add(*r).ok());
  EXPECT_EQ(in_order.Serialize(), replica_.Serialize());
}

TEST_F(ReplicaTest, RecordLookupByKey) {
  DecodedRecord r = Raise(Next(kCounty), kP, kVillage);
  Add(r);
  absl::StatusOr<DecodedRecord> got = replica_.Record(KeyOf(r.body));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->id, r.id);
  v1::FoldKey missing = KeyOf(r.body);
  missing.set_seq(99);
  EXPECT_EQ(replica_.Record(missing).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace rectsync::aggregator
