#include "aggregator/validate.h"

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "aggregator/test_records.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rectsync::aggregator {
namespace {

using ::testing::HasSubstr;
using namespace ::rectsync::aggregator::testing;  // NOLINT: test helpers

const std::string kCounty = "3201/320115";
const std::string kVillage = "3201/320115/320115003/320115003012";

// One valid body per event kind, written by the county at seq 2.
v1::RecordBody Valid(v1::RecordBody::EventCase kind) {
  DecodedRecord r = Header(kCounty, 2, 1000);
  v1::RecordBody& b = r.body;
  switch (kind) {
    case v1::RecordBody::kUnitEnrolled: {
      auto* e = b.mutable_unit_enrolled();
      e->set_unit(kCounty + "/320115003");
      e->set_name("某某街道");
      e->set_level(v1::LEVEL_TOWNSHIP);
      e->set_public_key(std::string(32, 'k'));
      e->set_valid_from_ms(1000);
      e->set_valid_until_ms(0);
      break;
    }
    case v1::RecordBody::kInspectionOpened: {
      auto* e = b.mutable_inspection_opened();
      e->set_inspection_id(kCounty + ":insp-1");
      e->set_inspecting_body("县委第三巡察组");
      e->set_inspected_unit(kCounty + "/320115003");
      e->set_start_date("2024-03-01");
      e->set_end_date("2024-04-30");
      e->set_feedback_date("2024-05-15");
      break;
    }
    case v1::RecordBody::kProblemRaised:
      r = Raise(std::move(r), kCounty + ":p1", kVillage, "2024-06-30");
      r.body.mutable_problem_raised()->set_inspection_id(kCounty + ":insp-1");
      break;
    case v1::RecordBody::kMeasureAdded:
      r = AddMeasure(std::move(r), "3201:p1", kCounty + ":m1", "2024-06-01");
      break;
    case v1::RecordBody::kProgressReported:
      r = Progress(std::move(r), "3201:p1", "3201:m1", true, 500, 1);
      r.body.mutable_progress_reported()->add_evidence_digests(std::string(32, 'd'));
      break;
    case v1::RecordBody::kCompletionClaimed:
      r = ClaimDone(std::move(r), "3201:p1");
      break;
    case v1::RecordBody::kClaimReviewed:
      r = Review(std::move(r), "3201:p1", FakeId("3201/320115/320115003", 7), false);
      break;
    case v1::RecordBody::kProblemClosed:
      r = Close(std::move(r), "3201:p1");
      break;
    case v1::RecordBody::kProblemReopened:
      r = Reopen(std::move(r), "3201:p1");
      break;
    case v1::RecordBody::kProblemAmended:
      r = AmendDeadline(std::move(r), "3201:p1", "2024-12-31");
      r.body.mutable_problem_amended()->set_title("new title");
      r.body.mutable_problem_amended()->set_category("land");
      r.body.mutable_problem_amended()->set_unit(kCounty + "/320115003");
      break;
    case v1::RecordBody::kFiguresReported:
      r = Figures(std::move(r), kCounty + "/320115003", "2024-Q1",
                  {{"visits", 12}, {"problems_collected/民生诉求", 3}});
      break;
    case v1::RecordBody::kSummaryAttested: {
      auto* e = b.mutable_summary_attested();
      e->set_unit(kCounty);
      auto* f = e->add_frontier();
      f->set_origin(kVillage);
      f->set_seq(4);
      f->set_head(std::string(32, 'h'));
      auto* c = e->add_counters();
      c->set_key("problems");
      c->set_value(3);
      break;
    }
    case v1::RecordBody::EVENT_NOT_SET:
      break;
  }
  return r.body;
}

const v1::RecordBody::EventCase kAllKinds[] = {
    v1::RecordBody::kUnitEnrolled,      v1::RecordBody::kInspectionOpened,
    v1::RecordBody::kProblemRaised,     v1::RecordBody::kMeasureAdded,
    v1::RecordBody::kProgressReported,  v1::RecordBody::kCompletionClaimed,
    v1::RecordBody::kClaimReviewed,     v1::RecordBody::kProblemClosed,
    v1::RecordBody::kProblemReopened,   v1::RecordBody::kProblemAmended,
    v1::RecordBody::kFiguresReported,   v1::RecordBody::kSummaryAttested,
};

TEST(ValidateTest, ValidBodiesOfEveryKindPass) {
  for (auto kind : kAllKinds) {
    v1::RecordBody b = Valid(kind);
    ASSERT_EQ(b.event_case(), kind);
    EXPECT_TRUE(ValidateBody(b).ok()) << EventName(b) << ": " << ValidateBody(b);
  }
}

TEST(ValidateTest, ValidSeqOneWithEmptyPrevPasses) {
  v1::RecordBody b = Valid(v1::RecordBody::kProblemRaised);
  b.set_seq(1);
  b.clear_prev();
  EXPECT_TRUE(ValidateBody(b).ok()) << ValidateBody(b);
}

TEST(ValidateTest, RootMayEnrolItself) {
  v1::RecordBody b = Valid(v1::RecordBody::kUnitEnrolled);
  *b.mutable_origin() = "3201";
  b.mutable_unit_enrolled()->set_unit("3201");
  b.set_seq(1);
  b.clear_prev();
  EXPECT_TRUE(ValidateBody(b).ok()) << ValidateBody(b);
}

struct BadCase {
  std::string name;
  v1::RecordBody::EventCase kind;
  std::function<void(v1::RecordBody*)> mutate;
  std::string field;  // must appear in the error message
};

std::vector<BadCase> BadCases() {
  using B = v1::RecordBody;
  return {
      // Header.
      {"origin invalid", B::kProblemRaised, [](B* b) { b->set_origin("3201//x"); }, "origin"},
      {"origin empty", B::kCompletionClaimed, [](B* b) { b->clear_origin(); }, "origin"},
      {"seq zero", B::kProblemClosed, [](B* b) { b->set_seq(0); }, "seq"},
      {"prev wrong size", B::kProblemRaised,
       [](B* b) { b->set_prev(std::string(31, 'x')); }, "prev"},
      {"prev missing after seq 1", B::kProblemRaised, [](B* b) { b->clear_prev(); }, "prev"},
      {"prev set on seq 1", B::kProblemRaised, [](B* b) { b->set_seq(1); }, "prev"},
      {"hlc zero", B::kProblemRaised, [](B* b) { b->set_hlc(0); }, "hlc"},
      {"author empty", B::kProblemRaised, [](B* b) { b->clear_author(); }, "author"},
      {"author too long", B::kProblemRaised,
       [](B* b) { b->set_author(std::string(65, 'a')); }, "author"},
      {"no event", B::kProblemRaised, [](B* b) { b->clear_event(); }, "event"},

      // UnitEnrolled.
      {"enrol bad unit", B::kUnitEnrolled,
       [](B* b) { b->mutable_unit_enrolled()->set_unit("3201/X"); }, "unit_enrolled.unit"},
      {"enrol outside subtree", B::kUnitEnrolled,
       [](B* b) { b->mutable_unit_enrolled()->set_unit("3201/320116"); }, "unit_enrolled.unit"},
      {"enrol a sibling prefix", B::kUnitEnrolled,
       [](B* b) { b->mutable_unit_enrolled()->set_unit("3201/3201150"); },
       "unit_enrolled.unit"},
      {"enrol an ancestor", B::kUnitEnrolled,
       [](B* b) { b->mutable_unit_enrolled()->set_unit("3201"); }, "unit_enrolled.unit"},
      {"enrol empty name", B::kUnitEnrolled,
       [](B* b) { b->mutable_unit_enrolled()->clear_name(); }, "unit_enrolled.name"},
      {"enrol unspecified level", B::kUnitEnrolled,
       [](B* b) { b->mutable_unit_enrolled()->set_level(v1::LEVEL_UNSPECIFIED); },
       "unit_enrolled.level"},
      {"enrol unknown level", B::kUnitEnrolled,
       [](B* b) { b->mutable_unit_enrolled()->set_level(static_cast<v1::Level>(42)); },
       "unit_enrolled.level"},
      {"enrol short key", B::kUnitEnrolled,
       [](B* b) { b->mutable_unit_enrolled()->set_public_key(std::string(31, 'k')); },
       "unit_enrolled.public_key"},
      {"enrol negative from", B::kUnitEnrolled,
       [](B* b) { b->mutable_unit_enrolled()->set_valid_from_ms(-1); },
       "unit_enrolled.valid_from_ms"},
      {"enrol until before from", B::kUnitEnrolled,
       [](B* b) { b->mutable_unit_enrolled()->set_valid_until_ms(1000); },
       "unit_enrolled.valid_until_ms"},

      // InspectionOpened.
      {"inspection id of another unit", B::kInspectionOpened,
       [](B* b) { b->mutable_inspection_opened()->set_inspection_id("3201:insp-1"); },
       "inspection_opened.inspection_id"},
      {"inspection id malformed", B::kInspectionOpened,
       [](B* b) { b->mutable_inspection_opened()->set_inspection_id("insp-1"); },
       "inspection_opened.inspection_id"},
      {"inspection no body", B::kInspectionOpened,
       [](B* b) { b->mutable_inspection_opened()->clear_inspecting_body(); },
       "inspection_opened.inspecting_body"},
      {"inspection bad unit", B::kInspectionOpened,
       [](B* b) { b->mutable_inspection_opened()->set_inspected_unit(""); },
       "inspection_opened.inspected_unit"},
      {"inspection no start", B::kInspectionOpened,
       [](B* b) { b->mutable_inspection_opened()->clear_start_date(); },
       "inspection_opened.start_date"},
      {"inspection bad end", B::kInspectionOpened,
       [](B* b) { b->mutable_inspection_opened()->set_end_date("2024-02-30"); },
       "inspection_opened.end_date"},
      {"inspection end before start", B::kInspectionOpened,
       [](B* b) { b->mutable_inspection_opened()->set_end_date("2024-02-29"); },
       "inspection_opened.end_date"},
      {"inspection bad feedback", B::kInspectionOpened,
       [](B* b) { b->mutable_inspection_opened()->set_feedback_date("15/05/2024"); },
       "inspection_opened.feedback_date"},

      // ProblemRaised.
      {"raise deadline", B::kProblemRaised,
       [](B* b) { b->mutable_problem_raised()->set_deadline("2024-13-01"); },
       "problem_raised.deadline"},
      {"raise id of another unit", B::kProblemRaised,
       [](B* b) { b->mutable_problem_raised()->set_problem_id("3201:p1"); },
       "problem_raised.problem_id"},
      {"raise id of a descendant", B::kProblemRaised,
       [](B* b) { b->mutable_problem_raised()->set_problem_id(kCounty + "/320115003:p1"); },
       "problem_raised.problem_id"},
      {"raise id of a prefix-sibling", B::kProblemRaised,
       [](B* b) { b->mutable_problem_raised()->set_problem_id("3201/32011:p1"); },
       "problem_raised.problem_id"},
      {"raise bad unit", B::kProblemRaised,
       [](B* b) { b->mutable_problem_raised()->set_unit("3201/"); }, "problem_raised.unit"},
      {"raise bad inspection", B::kProblemRaised,
       [](B* b) { b->mutable_problem_raised()->set_inspection_id("insp"); },
       "problem_raised.inspection_id"},
      {"raise no source", B::kProblemRaised,
       [](B* b) { b->mutable_problem_raised()->set_source(v1::SOURCE_UNSPECIFIED); },
       "problem_raised.source"},
      {"raise unknown source", B::kProblemRaised,
       [](B* b) { b->mutable_problem_raised()->set_source(static_cast<v1::Source>(99)); },
       "problem_raised.source"},
      {"raise no category", B::kProblemRaised,
       [](B* b) { b->mutable_problem_raised()->clear_category(); }, "problem_raised.category"},
      {"raise no title", B::kProblemRaised,
       [](B* b) { b->mutable_problem_raised()->clear_title(); }, "problem_raised.title"},
      {"raise long title", B::kProblemRaised,
       [](B* b) { b->mutable_problem_raised()->set_title(std::string(kMaxTitle + 1, 't')); },
       "problem_raised.title"},
      {"raise long detail", B::kProblemRaised,
       [](B* b) { b->mutable_problem_raised()->set_detail(std::string(kMaxText + 1, 'd')); },
       "problem_raised.detail"},

      // MeasureAdded.
      {"measure bad problem", B::kMeasureAdded,
       [](B* b) { b->mutable_measure_added()->set_problem_id("p1"); },
       "measure_added.problem_id"},
      {"measure id of another unit", B::kMeasureAdded,
       [](B* b) { b->mutable_measure_added()->set_measure_id("3201:m1"); },
       "measure_added.measure_id"},
      {"measure no text", B::kMeasureAdded,
       [](B* b) { b->mutable_measure_added()->clear_text(); }, "measure_added.text"},
      {"measure bad deadline", B::kMeasureAdded,
       [](B* b) { b->mutable_measure_added()->set_deadline("2024-06"); },
       "measure_added.deadline"},

      // ProgressReported.
      {"progress bad problem", B::kProgressReported,
       [](B* b) { b->mutable_progress_reported()->set_problem_id(""); },
       "progress_reported.problem_id"},
      {"progress bad measure", B::kProgressReported,
       [](B* b) { b->mutable_progress_reported()->set_measure_id("m1"); },
       "progress_reported.measure_id"},
      {"progress done without measure", B::kProgressReported,
       [](B* b) { b->mutable_progress_reported()->clear_measure_id(); },
       "progress_reported.measure_done"},
      {"progress no note", B::kProgressReported,
       [](B* b) { b->mutable_progress_reported()->clear_note(); }, "progress_reported.note"},
      {"progress short digest", B::kProgressReported,
       [](B* b) { b->mutable_progress_reported()->add_evidence_digests("short"); },
       "progress_reported.evidence_digests"},
      {"progress negative funds", B::kProgressReported,
       [](B* b) {
         b->mutable_progress_reported()->mutable_outcomes()->set_funds_recovered_fen(-1);
       },
       "progress_reported.outcomes.funds_recovered_fen"},
      {"progress huge rules", B::kProgressReported,
       [](B* b) {
         b->mutable_progress_reported()->mutable_outcomes()->set_rules_made((int64_t{1} << 50) +
                                                                            1);
       },
       "progress_reported.outcomes.rules_made"},

      // CompletionClaimed.
      {"claim bad problem", B::kCompletionClaimed,
       [](B* b) { b->mutable_completion_claimed()->set_problem_id("3201:"); },
       "completion_claimed.problem_id"},
      {"claim no kind", B::kCompletionClaimed,
       [](B* b) { b->mutable_completion_claimed()->set_kind(v1::CLAIM_KIND_UNSPECIFIED); },
       "completion_claimed.kind"},
      {"claim unknown kind", B::kCompletionClaimed,
       [](B* b) { b->mutable_completion_claimed()->set_kind(static_cast<v1::ClaimKind>(9)); },
       "completion_claimed.kind"},
      {"claim long note", B::kCompletionClaimed,
       [](B* b) { b->mutable_completion_claimed()->set_note(std::string(kMaxText + 1, 'n')); },
       "completion_claimed.note"},

      // ClaimReviewed.
      {"review bad problem", B::kClaimReviewed,
       [](B* b) { b->mutable_claim_reviewed()->set_problem_id("3201"); },
       "claim_reviewed.problem_id"},
      {"review short claim id", B::kClaimReviewed,
       [](B* b) { b->mutable_claim_reviewed()->set_claim_record_id(std::string(16, 'c')); },
       "claim_reviewed.claim_record_id"},
      {"review rejection without reason", B::kClaimReviewed,
       [](B* b) { b->mutable_claim_reviewed()->clear_note(); }, "claim_reviewed.note"},

      // ProblemClosed.
      {"close bad problem", B::kProblemClosed,
       [](B* b) { b->mutable_problem_closed()->set_problem_id("3201/:p1"); },
       "problem_closed.problem_id"},
      {"close long note", B::kProblemClosed,
       [](B* b) { b->mutable_problem_closed()->set_note(std::string(kMaxText + 1, 'n')); },
       "problem_closed.note"},

      // ProblemReopened.
      {"reopen bad problem", B::kProblemReopened,
       [](B* b) { b->mutable_problem_reopened()->set_problem_id("3201:p 1"); },
       "problem_reopened.problem_id"},
      {"reopen no reason", B::kProblemReopened,
       [](B* b) { b->mutable_problem_reopened()->clear_reason(); }, "problem_reopened.reason"},

      // ProblemAmended.
      {"amend bad problem", B::kProblemAmended,
       [](B* b) { b->mutable_problem_amended()->set_problem_id(""); },
       "problem_amended.problem_id"},
      {"amend nothing", B::kProblemAmended,
       [](B* b) {
         auto* e = b->mutable_problem_amended();
         e->clear_deadline();
         e->clear_title();
         e->clear_category();
         e->clear_unit();
       },
       "problem_amended"},
      {"amend deadline", B::kProblemAmended,
       [](B* b) { b->mutable_problem_amended()->set_deadline("2023-02-29"); },
       "problem_amended.deadline"},
      {"amend empty title", B::kProblemAmended,
       [](B* b) { b->mutable_problem_amended()->set_title(""); }, "problem_amended.title"},
      {"amend empty category", B::kProblemAmended,
       [](B* b) { b->mutable_problem_amended()->set_category(""); },
       "problem_amended.category"},
      {"amend bad unit", B::kProblemAmended,
       [](B* b) { b->mutable_problem_amended()->set_unit("A"); }, "problem_amended.unit"},

      // FiguresReported.
      {"figures bad unit", B::kFiguresReported,
       [](B* b) { b->mutable_figures_reported()->set_unit(""); }, "figures_reported.unit"},
      {"figures outside subtree", B::kFiguresReported,
       [](B* b) { b->mutable_figures_reported()->set_unit("3201"); }, "figures_reported.unit"},
      {"figures bad period", B::kFiguresReported,
       [](B* b) { b->mutable_figures_reported()->set_period("2024-Q5"); },
       "figures_reported.period"},
      {"figures none", B::kFiguresReported,
       [](B* b) { b->mutable_figures_reported()->clear_figures(); },
       "figures_reported.figures"},
      {"figures empty indicator", B::kFiguresReported,
       [](B* b) { b->mutable_figures_reported()->mutable_figures(0)->clear_indicator(); },
       "figures_reported.figures.indicator"},
      {"figures multi-line indicator", B::kFiguresReported,
       [](B* b) { b->mutable_figures_reported()->mutable_figures(0)->set_indicator("a\nb"); },
       "figures_reported.figures.indicator"},
      {"figures negative", B::kFiguresReported,
       [](B* b) { b->mutable_figures_reported()->mutable_figures(1)->set_value(-3); },
       "figures_reported.figures"},

      // SummaryAttested.
      {"attest bad unit", B::kSummaryAttested,
       [](B* b) { b->mutable_summary_attested()->set_unit("x//y"); }, "summary_attested.unit"},
      {"attest outside subtree", B::kSummaryAttested,
       [](B* b) { b->mutable_summary_attested()->set_unit("3201"); }, "summary_attested.unit"},
      {"attest bad frontier origin", B::kSummaryAttested,
       [](B* b) { b->mutable_summary_attested()->mutable_frontier(0)->set_origin("X"); },
       "summary_attested.frontier.origin"},
      {"attest frontier seq zero", B::kSummaryAttested,
       [](B* b) { b->mutable_summary_attested()->mutable_frontier(0)->set_seq(0); },
       "summary_attested.frontier"},
      {"attest frontier short head", B::kSummaryAttested,
       [](B* b) { b->mutable_summary_attested()->mutable_frontier(0)->set_head("h"); },
       "summary_attested.frontier"},
  };
}

TEST(ValidateTest, EachBadFieldIsInvalidArgumentNamingTheField) {
  for (const BadCase& c : BadCases()) {
    SCOPED_TRACE(c.name);
    v1::RecordBody b = Valid(c.kind);
    ASSERT_TRUE(ValidateBody(b).ok()) << ValidateBody(b);
    c.mutate(&b);
    absl::Status s = ValidateBody(b);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_THAT(s.message(), HasSubstr(c.field)) << s;
  }
}

TEST(ValidateTest, EveryEventKindHasABadCase) {
  std::set<int> covered;
  for (const BadCase& c : BadCases()) {
    v1::RecordBody b = Valid(c.kind);
    c.mutate(&b);
    if (b.event_case() != v1::RecordBody::EVENT_NOT_SET) covered.insert(c.kind);
  }
  for (auto kind : kAllKinds) EXPECT_TRUE(covered.count(kind)) << kind;
}

TEST(ValidateTest, ValidateEventSkipsHeaderChecks) {
  v1::RecordBody b = Valid(v1::RecordBody::kCompletionClaimed);
  b.set_seq(0);
  b.clear_author();
  EXPECT_TRUE(ValidateEvent(b).ok());
  EXPECT_FALSE(ValidateBody(b).ok());
}

TEST(ValidateTest, AmendMayClearTheDeadline) {
  v1::RecordBody b = Valid(v1::RecordBody::kProblemAmended);
  b.mutable_problem_amended()->set_deadline("");
  EXPECT_TRUE(ValidateBody(b).ok()) << ValidateBody(b);
}

}  // namespace
}  // namespace rectsync::aggregator
