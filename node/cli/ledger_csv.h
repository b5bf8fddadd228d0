// The rectification ledger (整改台账) as CSV, the form officials keep in
// Excel, for `rectsync export` and `rectsync import`. Pure: strings in,
// strings and record bodies out; no I/O, no node access. Thread-safe.
//
// The format, as written by ExportLedger and read by ParseLedger:
//  - UTF-8 with a byte-order mark (Excel needs it to read UTF-8), CRLF line
//    ends, RFC 4180 quoting. Import also takes files without the mark and
//    with LF line ends, and refuses files that are not UTF-8 (Excel's plain
//    "CSV" on a Chinese Windows writes GBK; "CSV UTF-8" is needed).
//  - Line 1 is the header: the names of kLedgerColumns. Import takes the
//    columns in any order and needs only 问题描述, 类别, 来源, 责任单位,
//    整改状态 and 整改措施; a column left out reads as empty cells.
//  - One row per measure (整改措施); a problem without measures has one row
//    with the measure columns empty. A problem's columns are repeated on each
//    of its rows; import also takes them empty on the rows after the first
//    (what Excel writes for merged cells). The outcome columns (追回资金(元)
//    to 建章立制) are problem totals and stand on the problem's first row
//    only, so that summing a column in Excel gives the total.
//  - 序号 is the row number, 问题编号 the problem's number in this ledger and
//    措施编号 the measure's number within its problem: no node-specific ids,
//    so export → import into a fresh node → export gives the same bytes.
//    ExportOptions::ids puts the node's problem and measure ids there
//    instead, for `rectsync problem show`. On import these columns are
//    informational: 问题编号 only groups rows (a problem's rows are
//    consecutive); the importing node assigns ids.
//  - Rows are ordered by responsible unit, then problem id, then measure id,
//    numbers inside ids compared as numbers (P9 before P10): a fresh node
//    that imports the file in order assigns ids in the same order.
//  - Text and unit cells that Excel would run as a formula (starting with
//    = + - @, a tab or CR, after any apostrophes) are written with one more
//    leading apostrophe; import removes it. Problem text comes from other
//    units' records, so this is a guard, not a nicety.
//  - Dates are YYYY-MM-DD; import also takes 2024/3/1, 2024.3.1 and
//    2024年3月1日 (Excel rewrites dates on saving). Money is yuan with at
//    most two decimals; import takes 1,234.50 grouping.
#ifndef RECTSYNC_NODE_CLI_LEDGER_CSV_H_
#define RECTSYNC_NODE_CLI_LEDGER_CSV_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rectsync/v1/record.pb.h"
#include "rectsync/v1/state.pb.h"

namespace rectsync::cli {

// Header names, in export order.
inline constexpr const char* kLedgerColumns[] = {
    "序号",         "问题编号",     "问题描述", "问题详情", "类别",     "来源",     "责任单位",
    "整改时限",     "整改状态",     "完成情况", "措施编号", "整改措施", "措施时限", "措施完成",
    "追回资金(元)", "党纪政务处分", "组织处理", "问责",     "建章立制"};

// --- RFC 4180 ---

// One record of a CSV file. `line` is the 1-based line it starts on (a
// quoted field may span lines). A row the reader could not split cleanly
// carries `error` and the 0-based field it occurred in.
struct CsvRow {
  int line = 0;
  std::vector<std::string> fields;
  std::string error;
  int error_field = -1;
};

// Splits `text` (without a byte-order mark) into rows. CRLF and LF both end
// a row outside quotes; inside quotes they are data, kept as they are.
std::vector<CsvRow> ReadCsv(absl::string_view text);
// One row, quoted where needed, ending in CRLF.
std::string CsvLine(const std::vector<std::string>& fields);

// --- Cells, as officers type them (also the console's form fields) ---

// "" or a date as YYYY-MM-DD, from the forms Excel writes back (2024/3/1,
// 2024.3.1, 2024年3月1日). InvalidArgument naming the bad text.
absl::StatusOr<std::string> NormalizeDate(absl::string_view cell);
// Yuan ("1234.5", "1,234.50") to fen; empty is 0.
absl::StatusOr<int64_t> ParseFen(absl::string_view cell);
// A count of people or rules; empty is 0.
absl::StatusOr<int64_t> ParseCount(absl::string_view cell);

// --- Export ---

struct ExportOptions {
  // Node ids in 问题编号/措施编号 instead of ledger numbers (default false).
  // Such a file imports the same, but a round trip differs in those columns.
  bool ids = false;
};

// The ledger of `problems` (any order; problems not raised are left out).
std::string ExportLedger(std::vector<v1::ProblemState> problems, const ExportOptions& options = {});

// True if id `a` sorts before `b`: by origin, then the local part with
// digit runs compared as numbers, then byte-wise.
bool LedgerIdLess(absl::string_view a, absl::string_view b);

// --- Import ---

// A finding about the file: bad input or a refused row.
struct LedgerIssue {
  int line = 0;        // line the row starts on; 0 for the file as a whole
  std::string column;  // header name, "" for the row or file as a whole
  std::string reason;
  // "line 7, column 整改时限: ..." (or "line 7: ..." / the reason alone).
  std::string ToString() const;
};

// One problem of the file, checked, ready to become records.
struct LedgerProblem {
  struct Measure {
    int line = 0;
    std::string text;
    std::string deadline;  // YYYY-MM-DD or ""
    bool done = false;
  };
  int line = 0;              // its first row
  int last_line = 0;         // the line its last row starts on
  v1::ProblemRaised raised;  // problem_id empty: the node assigns it
  std::vector<Measure> measures;
  v1::Outcomes outcomes;
  v1::Status status = v1::STATUS_OPEN;
  v1::ClaimKind claim = v1::CLAIM_KIND_UNSPECIFIED;
};

struct LedgerImport {
  std::vector<LedgerProblem> problems;  // what may be imported
  // Well-formed problems this node may not record itself (已验收, 已销号,
  // work on a unit below it), one issue per problem at its first line.
  std::vector<LedgerIssue> refused;
  // Bad input, every one found, by line. Nothing may be written if any.
  std::vector<LedgerIssue> errors;
  int rows = 0;  // data rows read
};

// Reads a ledger for the node of `node_unit`: responsible units must lie in
// its subtree.
LedgerImport ParseLedger(absl::string_view csv, const std::string& node_unit);

// A record to append, with the line it comes from.
struct PlannedRecord {
  v1::RecordBody body;
  int line = 0;
};

// The records that recreate `problems` on the node of `unit`, whose log
// ends at `head_seq`, in order: per problem ProblemRaised, MeasureAdded for
// each measure, ProgressReported for each done measure, one for the
// outcomes, one marking 整改中 when nothing else does, and
// CompletionClaimed for 待验收. The ids they create are the ones the node
// would generate for those seqs ("<unit>:P<seq>", "<unit>:M<seq>"), given
// explicitly because later records name them. `source` names the file in
// the records' notes.
std::vector<PlannedRecord> PlanLedgerRecords(const std::vector<LedgerProblem>& problems,
                                             const std::string& unit, uint64_t head_seq,
                                             const std::string& author, const std::string& source);

}  // namespace rectsync::cli

#endif  // RECTSYNC_NODE_CLI_LEDGER_CSV_H_
