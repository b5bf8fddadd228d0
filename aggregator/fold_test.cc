#include "aggregator/fold.h"

#include <algorithm>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "aggregator/date.h"
#include "aggregator/test_records.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rectsync::aggregator {
namespace {

using ::testing::HasSubstr;
using namespace ::rectsync::aggregator::testing;  // NOLINT: test helpers

class FoldTest : public ::testing::Test {
 protected:
  // Appends a record and returns it.
  const DecodedRecord& Add(DecodedRecord r) {
    records_.push_back(std::move(r));
    return records_.back();
  }
  DecodedRecord Next(const std::string& origin) { return ledger_.Next(origin, ++hlc_); }
  v1::ProblemState Fold() const { return FoldProblem(kP, Ptrs(records_)); }

  void RaiseP(const std::string& deadline = "2024-06-30") {
    Add(Raise(Next(kCounty), kP, kVillage, deadline));
  }
  // Raise, claim by the village; returns the claim's id.
  std::string RaiseAndClaim(v1::ClaimKind kind = v1::CLAIM_COMPLETED) {
    RaiseP();
    return Add(ClaimDone(Next(kVillage), kP, kind)).id;
  }
  std::string RaiseClaimAccept() {
    std::string claim = RaiseAndClaim();
    Add(Review(Next(kTown), kP, claim, true));
    return claim;
  }

  // Folds with and without `bad` (added last in hlc order) and checks that it
  // changed nothing but the history and the violation list, which names it.
  void ExpectViolation(DecodedRecord bad, const std::string& reason_part) {
    v1::ProblemState before = Fold();
    const DecodedRecord& r = Add(std::move(bad));
    v1::ProblemState after = Fold();
    ASSERT_EQ(after.violations_size(), before.violations_size() + 1);
    const v1::Violation& v = after.violations(after.violations_size() - 1);
    EXPECT_EQ(v.record().id(), r.id);
    EXPECT_EQ(v.record().key().origin(), r.body.origin());
    EXPECT_THAT(v.reason(), HasSubstr(reason_part));
    EXPECT_EQ(after.history_size(), before.history_size() + 1);
    after.clear_history();
    after.clear_violations();
    before.clear_history();
    before.clear_violations();
    EXPECT_EQ(after.SerializeAsString(), before.SerializeAsString())
        << "a violating " << EventName(r.body) << " changed the state:\n"
        << after.DebugString() << "\nvs\n" << before.DebugString();
  }

  Ledger ledger_;
  uint64_t hlc_ = 1000;
  std::deque<DecodedRecord> records_;  // stable references for Add()
};

// --- The status machine --------------------------------------------------

TEST_F(FoldTest, RaiseOpens) {
  RaiseP("2024-06-30");
  v1::ProblemState s = Fold();
  EXPECT_TRUE(s.raised());
  EXPECT_EQ(s.problem_id(), kP);
  EXPECT_EQ(s.status(), v1::STATUS_OPEN);
  EXPECT_EQ(s.unit(), kVillage);
  EXPECT_EQ(s.raiser(), kCounty);
  EXPECT_EQ(s.deadline(), "2024-06-30");
  EXPECT_EQ(s.category(), "roads");
  EXPECT_EQ(s.source(), v1::SOURCE_INSPECTION);
  EXPECT_EQ(s.history_size(), 1);
  EXPECT_EQ(s.violations_size(), 0);
}

TEST_F(FoldTest, MeasureStartsWork) {
  RaiseP();
  Add(AddMeasure(Next(kVillage), kP, kVillage + ":m1", "2024-05-01"));
  v1::ProblemState s = Fold();
  EXPECT_EQ(s.status(), v1::STATUS_IN_PROGRESS);
  ASSERT_EQ(s.measures_size(), 1);
  EXPECT_EQ(s.measures(0).measure_id(), kVillage + ":m1");
  EXPECT_EQ(s.measures(0).deadline(), "2024-05-01");
  EXPECT_FALSE(s.measures(0).done());
}

TEST_F(FoldTest, ProgressStartsWorkAndSumsOutcomes) {
  RaiseP();
  Add(AddMeasure(Next(kVillage), kP, kVillage + ":m1"));
  Add(Progress(Next(kVillage), kP, kVillage + ":m1", /*done=*/false, 100, 1));
  v1::ProblemState s = Fold();
  EXPECT_FALSE(s.measures(0).done());
  Add(Progress(Next(kVillage), kP, kVillage + ":m1", /*done=*/true, 250, 2));
  s = Fold();
  EXPECT_EQ(s.status(), v1::STATUS_IN_PROGRESS);
  EXPECT_TRUE(s.measures(0).done());
  EXPECT_EQ(s.outcomes().funds_recovered_fen(), 350);
  EXPECT_EQ(s.outcomes().people_disciplined(), 3);
  EXPECT_EQ(s.progress_reports(), 2u);
}

TEST_F(FoldTest, ProgressWithoutMeasureStartsWork) {
  RaiseP();
  Add(Progress(Next(kVillage), kP));
  EXPECT_EQ(Fold().status(), v1::STATUS_IN_PROGRESS);
}

TEST_F(FoldTest, UnitBelowTheResponsibleUnitMayWork) {
  Add(Raise(Next(kCounty), kP, kTown));
  Add(AddMeasure(Next(kVillage), kP, kVillage + ":m1"));
  v1::ProblemState s = Fold();
  EXPECT_EQ(s.status(), v1::STATUS_IN_PROGRESS);
  EXPECT_EQ(s.measures_size(), 1);
  EXPECT_EQ(s.violations_size(), 0);
}

TEST_F(FoldTest, ClaimByResponsibleUnit) {
  std::string claim = RaiseAndClaim(v1::CLAIM_BASICALLY_COMPLETED);
  v1::ProblemState s = Fold();
  EXPECT_EQ(s.status(), v1::STATUS_CLAIMED);
  ASSERT_EQ(s.claims_size(), 1);
  EXPECT_EQ(s.claims(0).record().id(), claim);
  EXPECT_EQ(s.claims(0).kind(), v1::CLAIM_BASICALLY_COMPLETED);
  EXPECT_EQ(s.claims(0).verdict(), v1::VERDICT_PENDING);
  EXPECT_EQ(CurrentClaimKind(s), v1::CLAIM_BASICALLY_COMPLETED);
}

TEST_F(FoldTest, ReviewAcceptAccepts) {
  std::string claim = RaiseAndClaim();
  const DecodedRecord& review = Add(Review(Next(kTown), kP, claim, true));
  v1::ProblemState s = Fold();
  EXPECT_EQ(s.status(), v1::STATUS_ACCEPTED);
  EXPECT_EQ(s.claims(0).verdict(), v1::VERDICT_ACCEPTED);
  EXPECT_EQ(s.claims(0).review_id(), review.id);
  EXPECT_EQ(s.claims(0).reviewer(), kTown);
  EXPECT_EQ(s.violations_size(), 0);
}

TEST_F(FoldTest, ReviewRejectGoesBackToInProgress) {
  std::string claim = RaiseAndClaim();
  Add(Review(Next(kCity), kP, claim, false));
  v1::ProblemState s = Fold();
  EXPECT_EQ(s.status(), v1::STATUS_IN_PROGRESS);
  EXPECT_EQ(s.claims(0).verdict(), v1::VERDICT_REJECTED);
  EXPECT_EQ(s.claims(0).reviewer(), kCity);
}

TEST_F(FoldTest, CloseAfterAcceptance) {
  RaiseClaimAccept();
  const DecodedRecord& close = Add(Close(Next(kCounty), kP));
  v1::ProblemState s = Fold();
  EXPECT_EQ(s.status(), v1::STATUS_CLOSED);
  EXPECT_EQ(s.close_id(), close.id);
  EXPECT_EQ(s.violations_size(), 0);
}

TEST_F(FoldTest, ReopenClosedGoesBackToInProgress) {
  RaiseClaimAccept();
  Add(Close(Next(kCounty), kP));
  Add(Reopen(Next(kCity), kP));
  v1::ProblemState s = Fold();
  EXPECT_EQ(s.status(), v1::STATUS_IN_PROGRESS);
  EXPECT_EQ(s.reopen_count(), 1u);
  EXPECT_TRUE(s.close_id().empty());
  // Work resumes and a new claim can be made, reviewed and closed again.
  std::string claim2 = Add(ClaimDone(Next(kVillage), kP)).id;
  Add(Review(Next(kCounty), kP, claim2, true));
  Add(Close(Next(kCounty), kP));
  s = Fold();
  EXPECT_EQ(s.status(), v1::STATUS_CLOSED);
  EXPECT_EQ(s.claims_size(), 2);
  EXPECT_EQ(s.violations_size(), 0);
}

TEST_F(FoldTest, ReopenAcceptedGoesBackToInProgress) {
  RaiseClaimAccept();
  Add(Reopen(Next(kTown), kP));
  v1::ProblemState s = Fold();
  EXPECT_EQ(s.status(), v1::STATUS_IN_PROGRESS);
  EXPECT_EQ(s.reopen_count(), 1u);
}

// --- Authority: violations have no effect and are listed ------------------

TEST_F(FoldTest, VillageReviewingItsOwnClaimIsAViolation) {
  std::string claim = RaiseAndClaim();
  ExpectViolation(Review(Next(kVillage), kP, claim, true), "ancestor");
  EXPECT_EQ(Fold().status(), v1::STATUS_CLAIMED);
}

TEST_F(FoldTest, UnitBelowReviewingIsAViolation) {
  Add(Raise(Next(kCounty), kP, kTown));
  std::string claim = Add(ClaimDone(Next(kTown), kP)).id;
  ExpectViolation(Review(Next(kVillage), kP, claim, true), "ancestor");
}

TEST_F(FoldTest, SiblingClosingAnothersProblemIsAViolation) {
  RaiseClaimAccept();
  ExpectViolation(Close(Next(kVillage2), kP), "ancestor");
  EXPECT_EQ(Fold().status(), v1::STATUS_ACCEPTED);
}

TEST_F(FoldTest, SiblingReopeningIsAViolation) {
  RaiseClaimAccept();
  ExpectViolation(Reopen(Next(kVillage2), kP), "ancestor");
}

TEST_F(FoldTest, SiblingWorkingIsAViolation) {
  RaiseP();
  ExpectViolation(AddMeasure(Next(kVillage2), kP, kVillage2 + ":m1"), "responsible unit");
  ExpectViolation(Progress(Next(kTown2), kP), "responsible unit");
  EXPECT_EQ(Fold().status(), v1::STATUS_OPEN);
}

TEST_F(FoldTest, AncestorWorkingIsAViolation) {
  RaiseP();
  ExpectViolation(Progress(Next(kTown), kP), "responsible unit");
}

TEST_F(FoldTest, ClaimByOtherThanTheResponsibleUnitIsAViolation) {
  Add(Raise(Next(kCounty), kP, kTown));
  ExpectViolation(ClaimDone(Next(kVillage), kP), "responsible unit");  // below
  ExpectViolation(ClaimDone(Next(kCounty), kP), "responsible unit");   // above
  EXPECT_EQ(Fold().status(), v1::STATUS_OPEN);
}

TEST_F(FoldTest, VillageRaisingAgainstItsParentIsAViolation) {
  records_.clear();
  const std::string id = kVillage + ":up";
  DecodedRecord r = Raise(Next(kVillage), id, kTown);
  std::vector<DecodedRecord> one = {r};
  v1::ProblemState s = FoldProblem(id, Ptrs(one));
  EXPECT_FALSE(s.raised());
  EXPECT_EQ(s.status(), v1::STATUS_UNSPECIFIED);
  EXPECT_TRUE(s.unit().empty());
  ASSERT_EQ(s.violations_size(), 1);
  EXPECT_EQ(s.violations(0).record().id(), r.id);
  EXPECT_THAT(s.violations(0).reason(), HasSubstr("own subtree"));
}

TEST_F(FoldTest, ClosingWithoutAcceptanceIsAViolation) {
  RaiseP();
  ExpectViolation(Close(Next(kCounty), kP), "accepted");  // open
  Add(ClaimDone(Next(kVillage), kP));
  ExpectViolation(Close(Next(kCounty), kP), "accepted");  // claimed, not yet reviewed
  EXPECT_EQ(Fold().status(), v1::STATUS_CLAIMED);
}

TEST_F(FoldTest, ClosingAfterRejectionIsAViolation) {
  std::string claim = RaiseAndClaim();
  Add(Review(Next(kCounty), kP, claim, false));
  ExpectViolation(Close(Next(kCounty), kP), "accepted");
}

TEST_F(FoldTest, ReopeningAnOpenProblemIsAViolation) {
  RaiseP();
  ExpectViolation(Reopen(Next(kCounty), kP), "accepted or closed");
}

TEST_F(FoldTest, SecondRaiseIsAViolation) {
  RaiseP("2024-06-30");
  ExpectViolation(Raise(Next(kCounty), kP, kVillage2, "2025-01-01"), "already raised");
  EXPECT_EQ(Fold().unit(), kVillage);
}

TEST_F(FoldTest, RecordsBeforeTheRaiseAreViolations) {
  const std::string early = Add(Progress(Header(kVillage, 1, 5), kP)).id;  // hlc before raise
  RaiseP();
  v1::ProblemState s = Fold();
  EXPECT_TRUE(s.raised());
  EXPECT_EQ(s.status(), v1::STATUS_OPEN);
  EXPECT_EQ(s.progress_reports(), 0u);
  ASSERT_EQ(s.violations_size(), 1);
  EXPECT_EQ(s.violations(0).record().id(), early);
  EXPECT_THAT(s.violations(0).reason(), HasSubstr("no ProblemRaised"));
}

TEST_F(FoldTest, ClaimWhilePendingIsAViolation) {
  RaiseAndClaim();
  ExpectViolation(ClaimDone(Next(kVillage), kP), "pending");
}

TEST_F(FoldTest, ClaimAfterAcceptanceIsAViolation) {
  RaiseClaimAccept();
  ExpectViolation(ClaimDone(Next(kVillage), kP), "accepted or closed");
}

TEST_F(FoldTest, WorkOnAClosedProblemIsAViolation) {
  RaiseClaimAccept();
  Add(Close(Next(kCounty), kP));
  ExpectViolation(Progress(Next(kVillage), kP, "", false, 999), "closed");
  ExpectViolation(AddMeasure(Next(kVillage), kP, kVillage + ":m9"), "closed");
}

TEST_F(FoldTest, ProgressOnUnknownMeasureIsAViolation) {
  RaiseP();
  ExpectViolation(Progress(Next(kVillage), kP, kVillage + ":nope", true), "unknown measure");
}

TEST_F(FoldTest, DuplicateMeasureIdIsAViolation) {
  RaiseP();
  Add(AddMeasure(Next(kVillage), kP, kVillage + ":m1"));
  ExpectViolation(AddMeasure(Next(kVillage), kP, kVillage + ":m1"), "already used");
}

TEST_F(FoldTest, AmendByTheResponsibleUnitIsAViolation) {
  RaiseP("2024-06-30");
  ExpectViolation(AmendDeadline(Next(kVillage), kP, "2030-01-01"), "raiser or an ancestor");
  EXPECT_EQ(Fold().deadline(), "2024-06-30");
}

TEST_F(FoldTest, AmendToAUnitOutsideTheAmendersSubtreeIsAViolation) {
  RaiseP();
  ExpectViolation(AmendUnit(Next(kTown), kP, kTown2), "outside");
  EXPECT_EQ(Fold().unit(), kVillage);
}

// --- Reviews bind to the claim they name ----------------------------------

TEST_F(FoldTest, LateSecondReviewOfClaimOneDoesNotTouchClaimTwo) {
  std::string claim1 = RaiseAndClaim();
  Add(Review(Next(kCounty), kP, claim1, false));
  std::string claim2 = Add(ClaimDone(Next(kVillage), kP)).id;
  ExpectViolation(Review(Next(kTown), kP, claim1, true), "already reviewed");
  v1::ProblemState s = Fold();
  EXPECT_EQ(s.status(), v1::STATUS_CLAIMED);
  ASSERT_EQ(s.claims_size(), 2);
  EXPECT_EQ(s.claims(0).verdict(), v1::VERDICT_REJECTED);
  EXPECT_EQ(s.claims(1).record().id(), claim2);
  EXPECT_EQ(s.claims(1).verdict(), v1::VERDICT_PENDING);
  // A late rejection of claim 1 is equally powerless.
  ExpectViolation(Review(Next(kCity), kP, claim1, false), "already reviewed");
  // Claim 2 is still judged on its own.
  Add(Review(Next(kCity), kP, claim2, true));
  s = Fold();
  EXPECT_EQ(s.status(), v1::STATUS_ACCEPTED);
  EXPECT_EQ(s.claims(1).verdict(), v1::VERDICT_ACCEPTED);
  EXPECT_EQ(s.claims(0).verdict(), v1::VERDICT_REJECTED);
}

TEST_F(FoldTest, ReviewNamingNoClaimOfThisProblemIsAViolation) {
  RaiseAndClaim();
  ExpectViolation(Review(Next(kCounty), kP, FakeId(kVillage, 99), true), "names no claim");
}

// --- Last-writer-wins amendments ------------------------------------------

TEST_F(FoldTest, HigherAuthorityAmendWinsOverLaterLowerAuthority) {
  RaiseP("2024-06-30");
  Add(AmendDeadline(Next(kCity), kP, "2024-09-30"));    // depth 1, earlier
  Add(AmendDeadline(Next(kCounty), kP, "2024-12-31"));  // depth 2 (raiser), later
  v1::ProblemState s = Fold();
  EXPECT_EQ(s.deadline(), "2024-09-30");
  EXPECT_EQ(s.violations_size(), 0);  // losing an LWW race is not a violation
  ASSERT_EQ(s.stamps_size(), 1);
  EXPECT_EQ(s.stamps(0).field(), "deadline");
  EXPECT_EQ(s.stamps(0).depth(), 1u);
  EXPECT_EQ(s.stamps(0).origin(), kCity);
}

TEST_F(FoldTest, HigherAuthorityAmendWinsOverEarlierLowerAuthority) {
  RaiseP("2024-06-30");
  Add(AmendDeadline(Next(kCounty), kP, "2024-12-31"));
  Add(AmendDeadline(Next(kCity), kP, "2024-09-30"));
  EXPECT_EQ(Fold().deadline(), "2024-09-30");
}

TEST_F(FoldTest, SameAuthorityLaterAmendWins) {
  RaiseP("2024-06-30");
  Add(AmendDeadline(Next(kCounty), kP, "2024-12-31"));
  Add(AmendDeadline(Next(kCounty), kP, "2024-08-31"));
  v1::ProblemState s = Fold();
  EXPECT_EQ(s.deadline(), "2024-08-31");
  EXPECT_EQ(s.stamps(0).hlc(), hlc_);
}

TEST_F(FoldTest, AmendedFieldsAreIndependent) {
  RaiseP("2024-06-30");
  Add(AmendDeadline(Next(kCity), kP, "2024-09-30"));
  DecodedRecord title = Amend(Next(kCounty), kP);
  title.body.mutable_problem_amended()->set_title("better title");
  title.body.mutable_problem_amended()->set_deadline("2025-01-01");  // loses to the city
  Add(title);
  v1::ProblemState s = Fold();
  EXPECT_EQ(s.title(), "better title");
  EXPECT_EQ(s.deadline(), "2024-09-30");
  EXPECT_EQ(s.stamps_size(), 2);
}

TEST_F(FoldTest, AmendedResponsibleUnitMovesAuthority) {
  RaiseP();
  Add(AmendUnit(Next(kCounty), kP, kVillage2));
  v1::ProblemState s = Fold();
  EXPECT_EQ(s.unit(), kVillage2);
  ExpectViolation(ClaimDone(Next(kVillage), kP), "responsible unit");
  std::string claim = Add(ClaimDone(Next(kVillage2), kP)).id;
  EXPECT_EQ(Fold().status(), v1::STATUS_CLAIMED);
  // The new village may not review its own claim either; its township may.
  ExpectViolation(Review(Next(kVillage2), kP, claim, true), "ancestor");
  Add(Review(Next(kTown), kP, claim, true));
  EXPECT_EQ(Fold().status(), v1::STATUS_ACCEPTED);
}

// --- Fold order, duplicates, incremental application ----------------------

TEST_F(FoldTest, FoldIgnoresArrivalOrderAndDuplicates) {
  std::string claim1 = RaiseAndClaim();
  Add(AddMeasure(Next(kVillage), kP, kVillage + ":m1"));
  Add(Review(Next(kCounty), kP, claim1, false));
  Add(AmendDeadline(Next(kCity), kP, "2024-09-30"));
  Add(Progress(Next(kVillage), kP, kVillage + ":m1", true, 10));
  std::string claim2 = Add(ClaimDone(Next(kVillage), kP)).id;
  Add(Review(Next(kTown), kP, claim2, true));
  Add(Close(Next(kCity), kP));
  Add(Close(Next(kVillage2), kP));  // violation
  const std::string expected = Fold().SerializeAsString();
  ASSERT_EQ(Fold().status(), v1::STATUS_CLOSED);

  std::mt19937 rng(7);
  for (int i = 0; i < 20; ++i) {
    std::vector<const DecodedRecord*> shuffled = Ptrs(records_);
    for (int d = 0; d < 3; ++d) shuffled.push_back(shuffled[rng() % records_.size()]);
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    EXPECT_EQ(FoldProblem(kP, shuffled).SerializeAsString(), expected);
  }
}

TEST_F(FoldTest, ApplyToProblemMatchesFoldAndIgnoresOtherProblems) {
  std::string claim = RaiseAndClaim();
  Add(Review(Next(kCounty), kP, claim, true));
  v1::ProblemState s;
  s.set_problem_id(kP);
  DecodedRecord other = Raise(Next(kCounty), "3201/320115:other", kVillage);
  for (const auto& r : records_) {
    EXPECT_TRUE(AppliesAtEnd(s, r));
    EXPECT_FALSE(HasRecord(s, r.id));
    ApplyToProblem(r, &s);
    EXPECT_TRUE(HasRecord(s, r.id));
    ApplyToProblem(other, &s);
  }
  EXPECT_FALSE(HasRecord(s, other.id));
  EXPECT_EQ(s.SerializeAsString(), Fold().SerializeAsString());
  // A record with an earlier key no longer applies at the end.
  EXPECT_FALSE(AppliesAtEnd(s, Progress(Header(kVillage, 50, 1001), kP)));
}

// --- Deadline colour -------------------------------------------------------

TEST_F(FoldTest, DeadlineColour) {
  RaiseP("2024-06-30");
  v1::ProblemState s = Fold();
  const int64_t due = *ParseDate("2024-06-30");
  EXPECT_EQ(Colour(s, due + 1, 10), "red");
  EXPECT_EQ(Colour(s, due, 10), "yellow");
  EXPECT_EQ(Colour(s, due - 10, 10), "yellow");
  EXPECT_EQ(Colour(s, due - 11, 10), "green");
  EXPECT_EQ(Colour(s, due - 3, 2), "green");
  EXPECT_TRUE(Colourable(s));
}

TEST_F(FoldTest, NoColourWithoutDeadline) {
  RaiseP("");
  v1::ProblemState s = Fold();
  EXPECT_TRUE(Colourable(s));
  EXPECT_EQ(Colour(s, *ParseDate("2024-06-30"), 10), "");
}

TEST_F(FoldTest, ClaimedCompletedStillColouredLongTermNot) {
  RaiseAndClaim(v1::CLAIM_COMPLETED);
  const int64_t late = *ParseDate("2024-07-15");
  EXPECT_EQ(Colour(Fold(), late, 10), "red");
  records_.clear();
  ledger_ = Ledger();
  RaiseAndClaim(v1::CLAIM_LONG_TERM);
  EXPECT_FALSE(Colourable(Fold()));
  EXPECT_EQ(Colour(Fold(), late, 10), "");
}

TEST_F(FoldTest, AcceptedAndClosedAreNotColoured) {
  RaiseClaimAccept();
  const int64_t late = *ParseDate("2024-07-15");
  EXPECT_EQ(Colour(Fold(), late, 10), "");
  Add(Close(Next(kCounty), kP));
  EXPECT_EQ(Colour(Fold(), late, 10), "");
  Add(Reopen(Next(kCounty), kP));  // back in progress: the deadline runs again
  EXPECT_EQ(Colour(Fold(), late, 10), "red");
}

TEST_F(FoldTest, RejectedLongTermClaimIsColouredAgain) {
  std::string claim = RaiseAndClaim(v1::CLAIM_LONG_TERM);
  Add(Review(Next(kCounty), kP, claim, false));
  EXPECT_EQ(Colour(Fold(), *ParseDate("2024-07-15"), 10), "red");
}

TEST(FoldKeysTest, Names) {
  EXPECT_STREQ(StatusKey(v1::STATUS_OPEN), "open");
  EXPECT_STREQ(StatusKey(v1::STATUS_IN_PROGRESS), "in_progress");
  EXPECT_STREQ(StatusKey(v1::STATUS_CLAIMED), "claimed");
  EXPECT_STREQ(StatusKey(v1::STATUS_ACCEPTED), "accepted");
  EXPECT_STREQ(StatusKey(v1::STATUS_CLOSED), "closed");
  EXPECT_STREQ(SourceKey(v1::SOURCE_PETITION), "petition");
  EXPECT_STREQ(SourceKey(v1::SOURCE_SELF_CHECK), "self_check");
  EXPECT_STREQ(ClaimKindKey(v1::CLAIM_LONG_TERM), "long_term");
  EXPECT_STREQ(ClaimKindKey(v1::CLAIM_KIND_UNSPECIFIED), "none");
}

}  // namespace
}  // namespace rectsync::aggregator
