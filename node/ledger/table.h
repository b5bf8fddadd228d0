// The rectification ledger (整改台账) as a table: the one model behind the
// CSV and .xlsx files officials keep in Excel (formats.h), `rectsync
// export` / `import` and the console's ledger page. Pure: cells in, record
// bodies out, and problems in, cells out; no I/O, no node access.
// Thread-safe.
//
// The table, as LedgerTable writes it and ParseLedger reads it:
//  - One header row: the names of kLedgerColumns. ParseLedger takes the
//    columns in any order and needs only 问题描述, 类别, 来源, 责任单位,
//    整改状态 and 整改措施; a column left out reads as empty cells. Title
//    rows above the header (a sheet's "XX整改台账" banner) are skipped: the
//    header is the first of the first ten rows that names a ledger column.
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
//  - Cells hold the values themselves. Text cells that Excel would run as a
//    formula when read from CSV are guarded by the CSV writer (formats.h);
//    ParseLedger removes such a guard from text columns.
//  - Dates are YYYY-MM-DD; import also takes 2024/3/1, 2024.3.1 and
//    2024年3月1日 (Excel rewrites dates on saving). Money is yuan with at
//    most two decimals; import takes 1,234.50 grouping.
//  - A row's `line` is what its file calls it, the number an officer looks
//    for: the CSV line it starts on, the .xlsx row number.
#ifndef RECTSYNC_NODE_LEDGER_TABLE_H_
#define RECTSYNC_NODE_LEDGER_TABLE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rectsync/v1/record.pb.h"
#include "rectsync/v1/state.pb.h"

namespace rectsync::ledger {

// Header names, in export order.
inline constexpr const char* kLedgerColumns[] = {
    "序号",         "问题编号",     "问题描述", "问题详情", "类别",     "来源",     "责任单位",
    "整改时限",     "整改状态",     "完成情况", "措施编号", "整改措施", "措施时限", "措施完成",
    "追回资金(元)", "党纪政务处分", "组织处理", "问责",     "建章立制"};

// What the columns hold, for writers that type their cells (.xlsx).
enum class CellKind { kText, kCount, kYuan, kDate };
CellKind ColumnKind(int column);

// One row of a ledger file. `line` is the number the file gives it (CSV
// line it starts on, .xlsx row). A row the reader could not split cleanly
// carries `error` and the 0-based cell it occurred in.
struct Row {
  int line = 0;
  std::vector<std::string> cells;
  std::string error;
  int error_field = -1;
};
// Rows in file order; the header is one of them (see above).
using Table = std::vector<Row>;

// --- Cells, as officers type them (also the console's form fields) ---

// True if Excel would run `s` as a formula (it starts with = + - @, a tab or
// CR, after any apostrophes). The CSV writer guards such cells with one more
// leading apostrophe; ParseLedger removes it from text columns.
bool NeedsFormulaGuard(absl::string_view s);

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

// The ledger of `problems` (any order; problems not raised are left out):
// the header, then the data rows, numbered from line 1.
Table LedgerTable(std::vector<v1::ProblemState> problems, const ExportOptions& options = {});

// True if id `a` sorts before `b`: by origin, then the local part with
// digit runs compared as numbers, then byte-wise.
bool LedgerIdLess(absl::string_view a, absl::string_view b);

// --- Import ---

// A finding about the file: bad input or a refused row.
struct LedgerIssue {
  int line = 0;        // line the row starts on; 0 for the file as a whole
  std::string column;  // header name, "" for the row or file as a whole
  std::string reason;
  // "line 7, column 整改时限: ..." (or "line 7: ..." / the reason alone);
  // an .xlsx file's rows are "row 7".
  std::string ToString(absl::string_view unit = "line") const;
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
  // What the file calls its rows in messages: "line" (CSV) or "row" (.xlsx).
  std::string line_word = "line";
};

// Reads a ledger for the node of `node_unit`: responsible units must lie in
// its subtree. `line_word` is what the file calls its rows in messages
// ("line" for CSV, "row" for .xlsx).
LedgerImport ParseLedger(const Table& table, const std::string& node_unit,
                         const std::string& line_word = "line");

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

}  // namespace rectsync::ledger

#endif  // RECTSYNC_NODE_LEDGER_TABLE_H_
