// The ledger table (table.h) as the files officials keep: CSV for Excel and
// .xlsx. Pure functions of bytes, except that WriteXlsx goes through one
// temporary file (libxlsxwriter 1.1.4 writes only to files). Thread-safe.
//
// CSV: UTF-8 with a byte-order mark (Excel needs it to read UTF-8), CRLF line
// ends, RFC 4180 quoting. Import also takes files without the mark and with
// LF line ends, and refuses files that are not UTF-8 (Excel's plain "CSV" on
// a Chinese Windows writes GBK; "CSV UTF-8" is needed). Cells that Excel
// would run as a formula are written with one more leading apostrophe.
//
// .xlsx: one sheet, the header bold and frozen, counts and money as numbers
// (so that Excel sums them), dates and ids as text. The reader takes the
// workbook's first sheet from any spreadsheet program: shared, inline and
// formula-result strings, numbers (a date-formatted number becomes
// YYYY-MM-DD), booleans; rows by their own numbers, so an error names the row
// Excel shows. It is small on purpose and fuzzed (tests/fuzz): bounded sizes,
// every failure an InvalidArgument that says what is wrong with the file.
#ifndef RECTSYNC_NODE_LEDGER_FORMATS_H_
#define RECTSYNC_NODE_LEDGER_FORMATS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "node/ledger/table.h"

namespace rectsync::ledger {

// Offset of the first byte of `s` that is not well-formed UTF-8, or npos.
size_t FirstInvalidUtf8(absl::string_view s);

// --- CSV (RFC 4180) ---

// Splits `text` (without a byte-order mark) into rows. CRLF and LF both end
// a row outside quotes; inside quotes they are data, kept as they are.
Table ReadCsv(absl::string_view text);
// One row, quoted where needed, ending in CRLF.
std::string CsvLine(const std::vector<std::string>& fields);
// The ledger of `problems` as a CSV file.
std::string LedgerCsv(std::vector<v1::ProblemState> problems, const ExportOptions& options = {});
// ParseLedger of a CSV file (with or without its byte-order mark).
LedgerImport ParseLedgerCsv(absl::string_view csv, const std::string& node_unit);

// --- .xlsx (Office Open XML) ---

// `table` as a workbook of one sheet named `sheet`, typed by ColumnKind
// when it is a ledger (its first row is kLedgerColumns). Unavailable if the
// temporary file cannot be written.
absl::StatusOr<std::string> WriteXlsx(const Table& table, const std::string& sheet);
// The ledger of `problems` as an .xlsx file.
absl::StatusOr<std::string> LedgerXlsx(std::vector<v1::ProblemState> problems,
                                       const ExportOptions& options = {});
// The rows of the first sheet of an .xlsx file. InvalidArgument naming what
// is wrong (not a zip, no sheet, bad XML, too large).
absl::StatusOr<Table> ReadXlsx(absl::string_view bytes);

// True if `bytes` start like a zip file (.xlsx), rather than text (CSV).
bool LooksLikeXlsx(absl::string_view bytes);
// ParseLedgerCsv or the ledger of ReadXlsx, by content; an unreadable .xlsx
// is one error for the file as a whole.
LedgerImport ParseLedgerFile(absl::string_view bytes, const std::string& node_unit);

}  // namespace rectsync::ledger

#endif  // RECTSYNC_NODE_LEDGER_FORMATS_H_
