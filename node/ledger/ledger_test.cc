#include "node/ledger/formats.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "aggregator/fold.h"
#include "aggregator/test_records.h"
#include "aggregator/validate.h"

namespace rectsync::ledger {
namespace {

using ::rectsync::aggregator::DecodedRecord;
using namespace ::rectsync::aggregator::testing;  // NOLINT: record builders
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kBom[] = "\xEF\xBB\xBF";
const std::string kNode = "3201/05";       // the importing node
const std::string kChild = "3201/05/001";  // a unit below it

std::vector<std::string> Columns() {
  return {std::begin(kLedgerColumns), std::end(kLedgerColumns)};
}

// A data row: named cells, the rest empty.
std::string Row(const std::map<std::string, std::string>& cells) {
  std::vector<std::string> f(Columns().size());
  for (const auto& [name, value] : cells) {
    auto it = std::find(std::begin(kLedgerColumns), std::end(kLedgerColumns), name);
    if (it == std::end(kLedgerColumns)) {
      ADD_FAILURE() << "no column " << name;
      continue;
    }
    f[it - std::begin(kLedgerColumns)] = value;
  }
  return CsvLine(f);
}

// A valid problem row of kNode, with `more` overriding or adding cells.
std::string Problem(const std::string& title, std::map<std::string, std::string> more = {}) {
  std::map<std::string, std::string> cells = {{"问题描述", title},
                                              {"类别", "财务管理"},
                                              {"来源", "巡察"},
                                              {"责任单位", kNode},
                                              {"整改状态", "待整改"}};
  for (auto& [k, v] : more) cells[k] = v;
  return Row(cells);
}

std::string File(const std::vector<std::string>& rows) {
  return absl::StrCat(kBom, CsvLine(Columns()), absl::StrJoin(rows, ""));
}

std::vector<std::string> Issues(const std::vector<LedgerIssue>& issues,
                                const std::string& line_word = "line") {
  std::vector<std::string> out;
  for (const LedgerIssue& i : issues) out.push_back(i.ToString(line_word));
  return out;
}

// --- RFC 4180 ---

TEST(CsvTest, QuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(CsvLine({"a", "b,c", "say \"hi\"", "two\nlines", "", " pad", "整改"}),
            "a,\"b,c\",\"say \"\"hi\"\"\",\"two\nlines\",,\" pad\",整改\r\n");
}

TEST(CsvTest, ReadsBackWhatItWrites) {
  const std::vector<std::string> fields = {"a,b", "\"q\"", "x\r\ny", "line\nbreak", "", "末尾 "};
  Table rows = ReadCsv(CsvLine(fields) + CsvLine({"2"}));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].cells, fields);
  EXPECT_EQ(rows[0].line, 1);
  EXPECT_EQ(rows[1].line, 4);  // the first row spans lines 1-3
  EXPECT_THAT(rows[1].cells, ElementsAre("2"));
  EXPECT_TRUE(rows[0].error.empty());
}

TEST(CsvTest, AcceptsLfAndNoFinalLineEnd) {
  Table rows = ReadCsv("a,b\nc,\n,d");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_THAT(rows[0].cells, ElementsAre("a", "b"));
  EXPECT_THAT(rows[1].cells, ElementsAre("c", ""));
  EXPECT_THAT(rows[2].cells, ElementsAre("", "d"));
}

TEST(CsvTest, ReportsUnterminatedQuoteWithItsLine) {
  Table rows = ReadCsv("a,b\r\nc,\"open\r\nmore");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].line, 2);
  EXPECT_EQ(rows[1].error_field, 1);
  EXPECT_EQ(
      rows[1].error,
      "the quoted field opened on line 2 is never closed: the file ends inside it (truncated?)");
}

TEST(CsvTest, ReportsStrayQuotes) {
  Table rows = ReadCsv("ab\"c,d\r\n\"x\"y,z\r\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].error_field, 0);
  EXPECT_THAT(rows[0].error, ::testing::HasSubstr("a quote inside an unquoted field"));
  EXPECT_EQ(rows[1].error_field, 0);
  EXPECT_THAT(rows[1].error, ::testing::HasSubstr("text after a closing quote"));
  EXPECT_THAT(rows[1].cells, ElementsAre("xy", "z"));
}

TEST(LedgerIdTest, NumbersInIdsCompareAsNumbers) {
  EXPECT_TRUE(LedgerIdLess("3201:P9", "3201:P10"));
  EXPECT_FALSE(LedgerIdLess("3201:P10", "3201:P9"));
  EXPECT_TRUE(LedgerIdLess("3201:M2", "3201:M10"));
  EXPECT_TRUE(LedgerIdLess("3201:P10", "3201/05:P2"));  // origin first
  EXPECT_TRUE(LedgerIdLess("3201:P07", "3201:P7"));     // equal numbers: bytes decide
  EXPECT_FALSE(LedgerIdLess("3201:P7", "3201:P7"));
}

// --- Export ---

// States folded from records, as a node derives them.
std::vector<v1::ProblemState> FoldAll(const std::vector<DecodedRecord>& records) {
  std::map<std::string, std::vector<const DecodedRecord*>> by_problem;
  for (const DecodedRecord& r : records) {
    by_problem[aggregator::ProblemOf(r.body)].push_back(&r);
  }
  std::vector<v1::ProblemState> out;
  for (auto& [id, recs] : by_problem) {
    out.push_back(aggregator::FoldProblem(id, recs));
    EXPECT_THAT(out.back().violations(), IsEmpty()) << id;
  }
  return out;
}

DecodedRecord Titled(DecodedRecord r, const std::string& title, const std::string& detail = "") {
  r.body.mutable_problem_raised()->set_title(title);
  r.body.mutable_problem_raised()->set_detail(detail);
  return r;
}

// A ledger with one problem of each kind the importing unit can recreate.
std::vector<DecodedRecord> SampleRecords() {
  Ledger l;
  uint64_t t = 1000;
  std::vector<DecodedRecord> r;
  const std::string& n = kNode;
  // P10 sorts after P9 (numbers as numbers), though raised first.
  r.push_back(Titled(Raise(l.Next(n, ++t), n + ":P10", n, "2024-06-30"), "白条列支"));
  r.push_back(Titled(Raise(l.Next(n, ++t), n + ":P9", n, "2024-05-31", "集体资产"),
                     "=固定资产不入账", "涉及空调2台,\"账实不符\"\n另见附件"));
  r.push_back(AddMeasure(l.Next(n, ++t), n + ":P9", n + ":M3", "2024-04-30"));
  r.push_back(AddMeasure(l.Next(n, ++t), n + ":P9", n + ":M4"));
  r.back().body.mutable_measure_added()->set_text("建立固定资产台账,明确责任人");
  r.push_back(Progress(l.Next(n, ++t), n + ":P9", n + ":M4", true, 123450, 2));
  r.push_back(Progress(l.Next(n, ++t), n + ":P9", "", false, 50, 0));
  // Claimed as long-term.
  r.push_back(Raise(l.Next(n, ++t), n + ":P11", n, "", "作风建设", v1::SOURCE_VISIT));
  r.push_back(AddMeasure(l.Next(n, ++t), n + ":P11", n + ":M12"));
  r.push_back(Progress(l.Next(n, ++t), n + ":P11", n + ":M12", true));
  r.push_back(ClaimDone(l.Next(n, ++t), n + ":P11", v1::CLAIM_LONG_TERM));
  // A claim the county rejected: back to 整改中 with nothing else recorded.
  r.push_back(Raise(l.Next(n, ++t), n + ":P14", n, "2024-03-01", "信访", v1::SOURCE_PETITION));
  r.push_back(ClaimDone(l.Next(n, ++t), n + ":P14"));
  const std::string claim_id = r.back().id;
  r.push_back(Review(l.Next("3201", ++t), n + ":P14", claim_id, false));
  // Raised by the county for the village below the node: 待整改.
  r.push_back(Raise(l.Next("3201", ++t), "3201:P3", kChild, "2024-12-31", "-人居环境"));
  return r;
}

TEST(ExportTest, WritesTheLedgerInExcelsForm) {
  const std::string csv = LedgerCsv(FoldAll(SampleRecords()));
  const std::string header =
      "序号,问题编号,问题描述,问题详情,类别,来源,责任单位,整改时限,整改状态,完成情况,措施编号,"
      "整改措施,措施时限,措施完成,追回资金(元),党纪政务处分,组织处理,问责,建章立制\r\n";
  const std::string rows =
      "1,1,'=固定资产不入账,\"涉及空调2台,\"\"账实不符\"\"\n另见附件\",集体资产,巡察,3201/05,"
      "2024-05-31,整改中,,1,do the thing,2024-04-30,否,1235.00,2,0,0,0\r\n"
      "2,1,'=固定资产不入账,\"涉及空调2台,\"\"账实不符\"\"\n另见附件\",集体资产,巡察,3201/05,"
      "2024-05-31,整改中,,2,\"建立固定资产台账,明确责任人\",,是,,,,,\r\n"
      "3,2,白条列支,,roads,巡察,3201/05,2024-06-30,待整改,,,,,,0.00,0,0,0,0\r\n"
      "4,3,title of 3201/05:P11,detail,作风建设,走访,3201/05,,待验收,长期坚持,1,do the thing,,是,"
      "0.00,0,0,0,0\r\n"
      "5,4,title of 3201/05:P14,detail,信访,信访,3201/05,2024-03-01,整改中,,,,,,0.00,0,0,0,0\r\n"
      "6,5,title of 3201:P3,detail,'-人居环境,巡察,3201/05/001,2024-12-31,待整改,,,,,,0.00,0,0,0,"
      "0\r\n";
  EXPECT_EQ(csv, std::string(kBom) + header + rows);
}

TEST(ExportTest, IdsOptionShowsNodeIds) {
  const std::string csv = LedgerCsv(FoldAll(SampleRecords()), ExportOptions{true});
  Table rows = ReadCsv(csv.substr(3));
  ASSERT_EQ(rows.size(), 7u);
  EXPECT_EQ(rows[1].cells[1], "3201/05:P9");
  EXPECT_EQ(rows[1].cells[10], "3201/05:M3");
  EXPECT_EQ(rows[2].cells[10], "3201/05:M4");
  EXPECT_EQ(rows[3].cells[1], "3201/05:P10");
  EXPECT_EQ(rows[6].cells[1], "3201:P3");
}

TEST(ExportTest, AcceptedAndClosedShowTheAcceptedKind) {
  Ledger l;
  std::vector<DecodedRecord> r;
  r.push_back(Raise(l.Next(kNode, 1), kNode + ":P1", kNode));
  r.push_back(ClaimDone(l.Next(kNode, 2), kNode + ":P1", v1::CLAIM_BASICALLY_COMPLETED));
  r.push_back(Review(l.Next("3201", 3), kNode + ":P1", r.back().id, true));
  r.push_back(Raise(l.Next(kNode, 4), kNode + ":P2", kNode));
  r.push_back(ClaimDone(l.Next(kNode, 5), kNode + ":P2"));
  r.push_back(Review(l.Next("3201", 6), kNode + ":P2", r.back().id, true));
  r.push_back(Close(l.Next("3201", 7), kNode + ":P2"));
  Table rows = ReadCsv(LedgerCsv(FoldAll(r)).substr(3));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].cells[8], "已验收");
  EXPECT_EQ(rows[1].cells[9], "基本完成");
  EXPECT_EQ(rows[2].cells[8], "已销号");
  EXPECT_EQ(rows[2].cells[9], "已完成");
}

// --- Round trip: export -> import plan -> records -> fold -> export ---

// Gives planned records the header a node would (origin, seq, prev, hlc)
// and checks they pass the node's shape validation.
std::vector<DecodedRecord> Seal(const std::vector<PlannedRecord>& plan, const std::string& unit,
                                uint64_t head_seq) {
  std::vector<DecodedRecord> out;
  for (size_t i = 0; i < plan.size(); ++i) {
    DecodedRecord r = Header(unit, head_seq + 1 + i, 50000 + i);
    v1::RecordBody body = plan[i].body;
    body.set_origin(r.body.origin());
    body.set_seq(r.body.seq());
    body.set_prev(r.body.prev());
    body.set_hlc(r.body.hlc());
    r.body = std::move(body);
    EXPECT_TRUE(aggregator::ValidateBody(r.body).ok()) << aggregator::ValidateBody(r.body);
    out.push_back(std::move(r));
  }
  return out;
}

TEST(RoundTripTest, ExportImportExportIsByteIdentical) {
  const std::string first = LedgerCsv(FoldAll(SampleRecords()));
  LedgerImport in = ParseLedgerCsv(first, kNode);
  EXPECT_THAT(Issues(in.errors), IsEmpty());
  EXPECT_THAT(Issues(in.refused), IsEmpty());
  EXPECT_EQ(in.rows, 6);
  ASSERT_EQ(in.problems.size(), 5u);
  EXPECT_EQ(in.problems[0].raised.detail(), "涉及空调2台,\"账实不符\"\n另见附件");
  EXPECT_EQ(in.problems[0].raised.title(), "=固定资产不入账");  // guard removed
  EXPECT_EQ(in.problems[0].outcomes.funds_recovered_fen(), 123500);
  // A fresh node whose log holds only its enrolment.
  std::vector<PlannedRecord> plan = PlanLedgerRecords(in.problems, kNode, 1, "officer", "a.csv");
  EXPECT_EQ(plan[0].body.problem_raised().problem_id(), kNode + ":P2");
  EXPECT_EQ(plan[0].line, 2);
  const std::string second = LedgerCsv(FoldAll(Seal(plan, kNode, 1)));
  EXPECT_EQ(second, first);
}

TEST(RoundTripTest, PlanUsesTheIdsTheNodeWouldGenerate) {
  LedgerImport in = ParseLedgerCsv(File({Problem("甲", {{"整改状态", "待验收"},
                                                     {"完成情况", "已完成"},
                                                     {"整改措施", "措施一"},
                                                     {"措施完成", "是"},
                                                     {"追回资金(元)", "10"}})}),
                                kNode);
  ASSERT_THAT(Issues(in.errors), IsEmpty());
  std::vector<PlannedRecord> plan = PlanLedgerRecords(in.problems, kNode, 7, "officer", "a.csv");
  ASSERT_EQ(plan.size(), 5u);
  EXPECT_EQ(plan[0].body.problem_raised().problem_id(), kNode + ":P8");
  EXPECT_EQ(plan[1].body.measure_added().measure_id(), kNode + ":M9");
  EXPECT_EQ(plan[2].body.progress_reported().measure_id(), kNode + ":M9");
  EXPECT_TRUE(plan[2].body.progress_reported().measure_done());
  EXPECT_EQ(plan[3].body.progress_reported().outcomes().funds_recovered_fen(), 1000);
  EXPECT_EQ(plan[4].body.completion_claimed().kind(), v1::CLAIM_COMPLETED);
  EXPECT_EQ(plan[4].body.completion_claimed().note(), "据整改台账 a.csv 第2行导入: 申请验收");
  EXPECT_EQ(plan[4].body.author(), "officer");
}

// --- Import: what a unit may not give itself ---

TEST(ImportTest, RefusesStatusesThatNeedASuperior) {
  LedgerImport in = ParseLedgerCsv(
      File({Problem("甲", {{"问题编号", "1"},
                           {"整改状态", "已验收"},
                           {"完成情况", "已完成"},
                           {"整改措施", "a"}}),
            Problem("甲", {{"问题编号", "1"},
                           {"整改状态", "已验收"},
                           {"完成情况", "已完成"},
                           {"整改措施", "b"}}),
            Problem("乙", {{"整改状态", "已销号"}, {"完成情况", "长期坚持"}}), Problem("丙")}),
      kNode);
  EXPECT_THAT(Issues(in.errors), IsEmpty());
  EXPECT_THAT(Issues(in.refused),
              ElementsAre("line 2, column 整改状态: 已验收 needs a superior's review (验收/销号), "
                          "which a unit cannot give itself: import the problem as 待验收 and have "
                          "it reviewed, or leave it out (lines 2-3)",
                          ::testing::StartsWith("line 4, column 整改状态: 已销号 needs")));
  ASSERT_EQ(in.problems.size(), 1u);
  EXPECT_EQ(in.problems[0].raised.title(), "丙");
}

TEST(ImportTest, WorkOnAUnitBelowIsForThatUnit) {
  LedgerImport in = ParseLedgerCsv(
      File({Problem("甲", {{"责任单位", kChild}}),
            Problem("乙", {{"责任单位", kChild}, {"整改状态", "整改中"}, {"整改措施", "a"}})}),
      kNode);
  EXPECT_THAT(Issues(in.errors), IsEmpty());
  EXPECT_THAT(Issues(in.refused),
              ElementsAre("line 3, column 整改措施: only the responsible unit 3201/05/001 adds "
                          "measures, reports results and claims completion: import this problem "
                          "on its node, or here as 待整改 without measures"));
  ASSERT_EQ(in.problems.size(), 1u);
  EXPECT_EQ(in.problems[0].raised.unit(), kChild);
}

// --- Import: bad input, all of it reported ---

TEST(ImportTest, ReportsEveryBadRowInOneRun) {
  LedgerImport in = ParseLedgerCsv(
      File({Problem("好的"), Problem("", {{"整改时限", "2024-02-30"}}),
            Problem("甲",
                    {{"追回资金(元)", "-5"}, {"党纪政务处分", "两人"}, {"整改状态", "整改中"}}),
            Problem("乙", {{"整改状态", "完成"}, {"来源", "纪检"}}),
            Problem("丙", {{"责任单位", "3201/06"}}),
            Problem("丁", {{"整改状态", "整改中"},
                           {"整改措施", "a"},
                           {"措施完成", "对"},
                           {"措施时限", "明天"}}),
            Problem("戊", {{"责任单位", "3201/05/Bad"}, {"追回资金(元)", "1.234"}})}),
      kNode);
  EXPECT_THAT(
      Issues(in.errors),
      ElementsAre(
          "line 3, column 问题描述: must not be empty",
          "line 3, column 整改时限: \"2024-02-30\" is not a date (YYYY-MM-DD)",
          "line 4, column 追回资金(元): \"-5\" must not be negative",
          "line 4, column 党纪政务处分: \"两人\" is not a whole number",
          "line 5, column 来源: \"纪检\" is not a source (巡察 走访 信访 审计 自查)",
          "line 5, column 整改状态: \"完成\" is not a status (待整改 整改中 待验收 已验收 已销号)",
          "line 6, column 责任单位: \"3201/06\" is outside this node's subtree (3201/05)",
          "line 7, column 措施时限: \"明天\" is not a date (YYYY-MM-DD)",
          "line 7, column 措施完成: \"对\" is not 是 or 否",
          "line 8, column 责任单位: unit id \"3201/05/Bad\" may use only 0-9 a-z _ - and / between "
          "segments",
          "line 8, column 追回资金(元): \"1.234\" has more than two decimals (the smallest unit is "
          "分)"));
}

TEST(ImportTest, TextLimitsAreTheNodes) {
  std::string title;
  for (int i = 0; i < 170; ++i) title += "问";  // 510 bytes
  LedgerImport in = ParseLedgerCsv(File({Problem(title, {{"类别", std::string(101, 'x')}})}), kNode);
  EXPECT_THAT(Issues(in.errors),
              ElementsAre("line 2, column 问题描述: is too long: 510 bytes, at most 500 (a Chinese "
                          "character takes 3); put the rest in 问题详情",
                          "line 2, column 类别: is too long: 101 bytes, at most 100 (a Chinese "
                          "character takes 3)"));
}

TEST(ImportTest, StatusMustMatchTheRows) {
  LedgerImport in =
      ParseLedgerCsv(File({Problem("甲", {{"整改措施", "a"}}), Problem("乙", {{"整改状态", "待验收"}}),
                        Problem("丙", {{"整改状态", "整改中"}, {"完成情况", "已完成"}}),
                        Problem("丁", {{"完成情况", "差不多"}})}),
                  kNode);
  EXPECT_THAT(
      Issues(in.errors),
      ElementsAre(
          "line 2, column 整改状态: 待整改 does not fit a problem with measures or results: "
          "it is 整改中",
          "line 3, column 完成情况: must be given for 待验收 (已完成 基本完成 长期坚持)",
          "line 4, column 完成情况: a completion kind goes with 待验收, 已验收 or 已销号, not "
          "with 整改中",
          "line 5, column 完成情况: \"差不多\" is not a completion kind (已完成 基本完成 "
          "长期坚持, or empty)"));
}

TEST(ImportTest, RowsOfAProblem) {
  LedgerImport in = ParseLedgerCsv(
      File({Problem("甲", {{"问题编号", "1"}, {"整改状态", "整改中"}, {"整改措施", "a"}}),
            Problem("甲改",
                    {{"问题编号", "1"}, {"整改状态", "整改中"}, {"整改措施", "b"}, {"问责", "1"}}),
            Row({{"问题编号", "1"}}), Problem("乙", {{"问题编号", "2"}}),
            Problem("丙", {{"问题编号", "1"}})}),
      kNode);
  EXPECT_THAT(
      Issues(in.errors),
      ElementsAre(
          "line 3, column 问题描述: differs from line 2, the problem's first row (its later "
          "rows repeat the problem's columns or leave them empty)",
          "line 3, column 问责: a problem's totals stand on its first row only (line 2); "
          "leave this cell empty",
          "line 4, column 整改措施: must not be empty: each row after a problem's first "
          "carries one of its measures",
          "line 6, column 问题编号: \"1\" already names the problem on line 2; the rows of "
          "one problem must follow each other"));
}

TEST(ImportTest, MergedCellsAndExcelRewrites) {
  // What Excel saves from a sheet with merged problem cells, no BOM, LF,
  // dates and numbers as Excel rewrites them, columns reordered and some
  // left out, full-width brackets in a header.
  const std::string csv =
      "责任单位,问题描述,类别,来源,整改状态,整改时限,完成情况,整改措施,措施完成,措施时限,"
      "追回资金（元）\n"
      "3201/05,违规出租集体资产,三资管理,巡察,整改中,2024/3/1,,终止原合同,是,2024年2月5日,"
      "\"12,345.6\"\n"
      ",,,,,,,重新发包,否,,\n"
      ",,,,,,,,,,\n"
      "3201/05,借款长期不催收,三资管理,自查,待整改,2024.12.31,,,,,\n";
  LedgerImport in = ParseLedgerCsv(csv, kNode);
  ASSERT_THAT(Issues(in.errors), IsEmpty());
  ASSERT_EQ(in.problems.size(), 2u);
  const LedgerProblem& p = in.problems[0];
  EXPECT_EQ(p.raised.deadline(), "2024-03-01");
  EXPECT_EQ(p.outcomes.funds_recovered_fen(), 1234560);
  ASSERT_EQ(p.measures.size(), 2u);
  EXPECT_EQ(p.measures[0].deadline, "2024-02-05");
  EXPECT_TRUE(p.measures[0].done);
  EXPECT_EQ(p.measures[1].text, "重新发包");
  EXPECT_EQ(p.measures[1].line, 3);
  EXPECT_EQ(in.problems[1].raised.source(), v1::SOURCE_SELF_CHECK);
  EXPECT_EQ(in.problems[1].raised.deadline(), "2024-12-31");
  EXPECT_EQ(in.problems[1].line, 5);
}

TEST(ImportTest, WrongHeader) {
  std::vector<std::string> h = Columns();
  h[2] = "问题";  // instead of 问题描述
  h.push_back("类别");
  LedgerImport in = ParseLedgerCsv(absl::StrCat(CsvLine(h), Problem("甲")), kNode);
  EXPECT_THAT(Issues(in.errors), ElementsAre("line 1, column 问题: unknown column",
                                             "line 1, column 类别: appears twice in the header",
                                             "line 1, column 问题描述: missing from the header"));
  EXPECT_TRUE(in.problems.empty());

  in = ParseLedgerCsv("name,age\r\nx,1\r\n", kNode);
  EXPECT_THAT(
      Issues(in.errors),
      ElementsAre(::testing::StartsWith("line 1: not a ledger header; the columns are 序号,")));
}

TEST(ImportTest, TruncatedFile) {
  std::string csv = File({Problem("甲"), Problem("乙", {{"问题详情", "第一行\n第二行"}})});
  csv.resize(csv.find("第二行"));
  LedgerImport in = ParseLedgerCsv(csv, kNode);
  EXPECT_THAT(Issues(in.errors),
              ElementsAre("line 3, column 问题详情: the quoted field opened on line 3 is never "
                          "closed: the file ends inside it (truncated?)"));

  in = ParseLedgerCsv(File({Problem("甲"), "4,5,乙,,财务\r\n"}), kNode);
  EXPECT_THAT(Issues(in.errors),
              ElementsAre("line 3: has 5 fields where the header has 19 (is a comma or line break "
                          "left unquoted?)"));
}

TEST(ImportTest, EmptyAndForeignFiles) {
  EXPECT_THAT(Issues(ParseLedgerCsv("", kNode).errors),
              ElementsAre("the file is empty: it has no header"));
  EXPECT_THAT(Issues(ParseLedgerCsv(File({}), kNode).errors),
              ElementsAre("the file has no rows below its header"));
  // "问题" in GBK.
  EXPECT_THAT(Issues(ParseLedgerCsv(CsvLine(Columns()) + "1,\xCE\xCA\xCC\xE2\r\n", kNode).errors),
              ElementsAre(::testing::StartsWith("line 2: the file is not UTF-8")));
}

// --- .xlsx ---

// A zip of `parts` (name -> content), as another spreadsheet program would
// write it, built with libzip through a temporary file.
std::string Zip(const std::vector<std::pair<std::string, std::string>>& parts) {
  std::string path = ::testing::TempDir() + "/ledger_test_XXXXXX";
  int fd = ::mkstemp(path.data());
  ::close(fd);
  int err = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_TRUNCATE, &err);
  EXPECT_NE(z, nullptr);
  for (const auto& [name, content] : parts) {
    zip_source_t* src = zip_source_buffer(z, content.data(), content.size(), 0);
    EXPECT_GE(zip_file_add(z, name.c_str(), src, ZIP_FL_ENC_UTF_8), 0);
  }
  EXPECT_EQ(zip_close(z), 0);
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ::unlink(path.c_str());
  return bytes;
}

// The parts of a one-sheet workbook whose sheet XML is `sheet_data`.
std::vector<std::pair<std::string, std::string>> Workbook(const std::string& sheet_data,
                                                          const std::string& shared = "") {
  const std::string ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
  return {
      {"[Content_Types].xml", "<?xml version=\"1.0\"?><Types/>"},
      {"xl/workbook.xml",
       "<x:workbook xmlns:x=\"" + ns +
           "\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
           "<x:sheets><x:sheet name=\"台账\" sheetId=\"1\" r:id=\"rId7\"/></x:sheets></x:workbook>"},
      {"xl/_rels/workbook.xml.rels",
       "<Relationships><Relationship Id=\"rId7\" Target=\"worksheets/ledger.xml\"/></Relationships>"},
      {"xl/styles.xml",
       "<styleSheet><numFmts><numFmt numFmtId=\"176\" formatCode=\"yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;\"/>"
       "</numFmts><cellXfs><xf numFmtId=\"0\"/><xf numFmtId=\"176\"/><xf numFmtId=\"14\"/>"
       "<xf numFmtId=\"4\"/></cellXfs></styleSheet>"},
      {"xl/sharedStrings.xml", "<sst xmlns=\"" + ns + "\">" + shared + "</sst>"},
      {"xl/worksheets/ledger.xml",
       "<x:worksheet xmlns:x=\"" + ns + "\"><x:sheetData>" + sheet_data + "</x:sheetData></x:worksheet>"},
  };
}

// An inline-string cell.
std::string Cell(const std::string& ref, const std::string& text) {
  return "<x:c r=\"" + ref + "\" t=\"inlineStr\"><x:is><x:t>" + text + "</x:t></x:is></x:c>";
}

TEST(XlsxTest, ExportReadsBackAsTheSameLedger) {
  const std::vector<v1::ProblemState> states = FoldAll(SampleRecords());
  absl::StatusOr<std::string> xlsx = LedgerXlsx(states);
  ASSERT_TRUE(xlsx.ok()) << xlsx.status();
  ASSERT_TRUE(LooksLikeXlsx(*xlsx));
  LedgerImport from_xlsx = ParseLedgerFile(*xlsx, kNode);
  LedgerImport from_csv = ParseLedgerFile(LedgerCsv(states), kNode);
  EXPECT_THAT(Issues(from_xlsx.errors), IsEmpty());
  EXPECT_EQ(from_xlsx.line_word, "row");
  EXPECT_EQ(from_csv.line_word, "line");
  ASSERT_EQ(from_xlsx.problems.size(), from_csv.problems.size());
  // The same records, from either file (the CSV's lines and the sheet's rows
  // coincide but for the CSV's multi-line cell).
  auto plan = [](const LedgerImport& in) {
    std::vector<std::string> out;
    for (const PlannedRecord& r : PlanLedgerRecords(in.problems, kNode, 1, "officer", "f"))
      out.push_back(r.body.SerializeAsString());
    return out;
  };
  std::vector<std::string> a = plan(from_xlsx), b = plan(from_csv);
  ASSERT_EQ(a.size(), b.size());
  for (size_t k = 0; k < from_csv.problems.size(); ++k) {
    EXPECT_EQ(from_xlsx.problems[k].raised.SerializeAsString(),
              from_csv.problems[k].raised.SerializeAsString());
    EXPECT_EQ(from_xlsx.problems[k].measures.size(), from_csv.problems[k].measures.size());
  }
  EXPECT_EQ(from_xlsx.problems[0].raised.title(), "=固定资产不入账");  // a string cell, no guard
  EXPECT_EQ(from_xlsx.problems[0].outcomes.funds_recovered_fen(), 123500);
  // Exporting what was imported gives the same workbook table.
  absl::StatusOr<Table> t = ReadXlsx(*xlsx);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)[0].cells, Columns());
  EXPECT_EQ((*t)[1].line, 2);
}

TEST(XlsxTest, ReadsWhatOtherProgramsWrite) {
  // A title row above the header; shared strings with rich text and a
  // phonetic guide; a date-formatted number in both date styles; a money
  // number as binary floating point writes it; columns left out.
  const std::string shared =
      "<si><t>责任单位</t></si><si><r><t>问题</t></r><r><t>描述</t></r><rPh><t>wenti</t></rPh></si>"
      "<si><t>3201/05</t></si>";
  const std::string rows =
      "<x:row r=\"1\">" + Cell("A1", "某村巡察反馈问题整改台账") + "</x:row>"
      "<x:row r=\"3\"><x:c r=\"A3\" t=\"s\"><x:v>0</x:v></x:c><x:c r=\"B3\" t=\"s\"><x:v>1</x:v></x:c>" +
      Cell("C3", "类别") + Cell("D3", "来源") + Cell("E3", "整改状态") + Cell("F3", "整改时限") +
      Cell("G3", "整改措施") + Cell("H3", "措施时限") + Cell("I3", "追回资金(元)") + "</x:row>"
      "<x:row r=\"4\"><x:c r=\"A4\" t=\"s\"><x:v>2</x:v></x:c>" + Cell("B4", "白条列支") +
      Cell("C4", "财务管理") + Cell("D4", "巡察") + Cell("E4", "整改中") +
      "<x:c r=\"F4\" s=\"1\"><x:v>45382</x:v></x:c>" + Cell("G4", "收回白条,补齐手续") +
      "<x:c r=\"H4\" s=\"2\"><x:v>45351.5</x:v></x:c><x:c r=\"I4\" s=\"3\"><x:v>1234.5599999999999</x:v></x:c>"
      "</x:row>"
      "<x:row r=\"5\"><x:c r=\"G5\" t=\"str\"><x:f>CONCAT(\"a\",\"b\")</x:f><x:v>建立报销制度</x:v></x:c></x:row>";
  LedgerImport in = ParseLedgerFile(Zip(Workbook(rows, shared)), kNode);
  ASSERT_THAT(Issues(in.errors), IsEmpty());
  ASSERT_EQ(in.problems.size(), 1u);
  const LedgerProblem& p = in.problems[0];
  EXPECT_EQ(p.raised.title(), "白条列支");
  EXPECT_EQ(p.raised.unit(), kNode);
  EXPECT_EQ(p.raised.deadline(), "2024-03-31");
  EXPECT_EQ(p.line, 4);
  ASSERT_EQ(p.measures.size(), 2u);
  EXPECT_EQ(p.measures[0].deadline, "2024-02-29");
  EXPECT_EQ(p.measures[1].text, "建立报销制度");
  EXPECT_EQ(p.measures[1].line, 5);
  EXPECT_EQ(p.outcomes.funds_recovered_fen(), 123456);
}

TEST(XlsxTest, BadRowsAreNamedByTheirRowNumber) {
  const std::string rows =
      "<x:row r=\"2\">" + Cell("A2", "问题描述") + Cell("B2", "类别") + Cell("C2", "来源") +
      Cell("D2", "责任单位") + Cell("E2", "整改状态") + Cell("F2", "整改措施") + "</x:row>"
      "<x:row r=\"9\">" + Cell("A9", "甲") + Cell("B9", "财务") + Cell("C9", "巡察") +
      Cell("D9", "3201/05") + Cell("E9", "已完成") + "</x:row>";
  LedgerImport in = ParseLedgerFile(Zip(Workbook(rows)), kNode);
  EXPECT_THAT(Issues(in.errors, in.line_word),
              ElementsAre("row 9, column 整改状态: \"已完成\" is not a status (待整改 整改中 待验收 已验收 已销号)"));
}

TEST(XlsxTest, DamagedFilesSayWhatIsWrong) {
  auto error = [](const std::string& bytes) {
    LedgerImport in = ParseLedgerFile(bytes, kNode);
    return in.errors.size() == 1 ? in.errors[0].ToString() : "(" + std::to_string(in.errors.size()) + " errors)";
  };
  EXPECT_THAT(error(std::string("PK\x03\x04", 4) + "not really a zip"),
              ::testing::StartsWith("not a readable .xlsx file: it is not a zip archive"));
  absl::StatusOr<std::string> good = LedgerXlsx(FoldAll(SampleRecords()));
  ASSERT_TRUE(good.ok());
  EXPECT_THAT(error(good->substr(0, good->size() / 2)),
              ::testing::StartsWith("not a readable .xlsx file: it is not a zip archive"));
  EXPECT_THAT(error(Zip({{"word/document.xml", "<w/>"}})),
              ::testing::StartsWith("not a readable .xlsx file: it has no xl/workbook.xml"));
  auto parts = Workbook("<x:row r=\"1\"><x:c r=\"A1\" t=\"s\"><x:v>5</x:v></x:c></x:row>");
  EXPECT_EQ(error(Zip(parts)),
            "not a readable .xlsx file: xl/worksheets/ledger.xml: row 1 refers to shared string 5, "
            "which xl/sharedStrings.xml does not have");
  parts.back().second = "<worksheet><sheetData><row r=\"1\">";
  EXPECT_THAT(error(Zip(parts)),
              ::testing::StartsWith("not a readable .xlsx file: xl/worksheets/ledger.xml is not XML"));
  parts.back().second = "<worksheet><sheetData><row r=\"3\"/><row r=\"2\"/></sheetData></worksheet>";
  EXPECT_EQ(error(Zip(parts)),
            "not a readable .xlsx file: xl/worksheets/ledger.xml: row number 2 is out of order");
}

}  // namespace
}  // namespace rectsync::ledger
