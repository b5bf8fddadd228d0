// ParseLedger: a ledger table (from CSV, .xlsx or the console) read back into
// problems, measures and outcomes, every bad cell named by line and column.
#include "node/ledger/table.h"

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "aggregator/date.h"
#include "aggregator/fold.h"
#include "aggregator/unit_id.h"
#include "aggregator/validate.h"
#include "node/ledger/vocabulary.h"

namespace rectsync::ledger {
namespace {

std::string Unguard(absl::string_view s) {
  if (!s.empty() && s[0] == '\'' && NeedsFormulaGuard(s.substr(1))) s.remove_prefix(1);
  return std::string(s);
}

std::string TooLong(size_t size, size_t max) {
  return absl::StrCat("is too long: ", size, " bytes, at most ", max,
                      " (a Chinese character takes 3)");
}

// The message of a validation status without its "field: " prefix.
std::string Reason(const absl::Status& s) {
  absl::string_view m = s.message();
  size_t colon = m.find(": ");
  return std::string(colon == m.npos ? m : m.substr(colon + 2));
}

bool HasOutcomes(const v1::Outcomes& o) {
  return o.funds_recovered_fen() || o.people_disciplined() || o.people_handled() ||
         o.people_accountable() || o.rules_made();
}

}  // namespace

// --- Import ---

std::string LedgerIssue::ToString(absl::string_view unit) const {
  if (line == 0) return column.empty() ? reason : absl::StrCat("column ", column, ": ", reason);
  if (column.empty()) return absl::StrCat(unit, " ", line, ": ", reason);
  return absl::StrCat(unit, " ", line, ", column ", column, ": ", reason);
}

namespace {

// The column a header cell names, or -1. Officials type full-width
// brackets: 追回资金（元）.
std::string HeaderName(const std::string& cell) {
  return absl::StrReplaceAll(Trim(cell), {{"（", "("}, {"）", ")"}});
}
int ColumnNamed(const std::string& name) {
  auto it = std::find_if(std::begin(kLedgerColumns), std::end(kLedgerColumns),
                         [&](const char* c) { return name == c; });
  return it == std::end(kLedgerColumns) ? -1 : static_cast<int>(it - std::begin(kLedgerColumns));
}
int KnownColumns(const Row& row) {
  return static_cast<int>(std::count_if(row.cells.begin(), row.cells.end(), [](const std::string& c) {
    return ColumnNamed(HeaderName(c)) >= 0;
  }));
}
bool IsBlank(const Row& row) {
  return row.error.empty() && std::all_of(row.cells.begin(), row.cells.end(),
                                          [](const std::string& f) { return Trim(f).empty(); });
}

// Reads rows of one ledger file against its header.
class LedgerReader {
 public:
  LedgerReader(const std::string& node_unit, LedgerImport* out)
      : node_unit_(node_unit), out_(out) {}

  // False when the header is unusable (the errors say why).
  bool ReadHeader(const Row& row);
  // Groups the data rows into problems and checks each.
  void ReadRows(const std::vector<Row>& rows);

 private:
  const std::string& Cell(const Row& row, Column c) const {
    static const std::string kEmpty;
    return index_[c] < 0 ? kEmpty : row.cells[index_[c]];
  }
  std::string Name(int field) const {
    return field >= 0 && field < static_cast<int>(names_.size()) ? names_[field] : "";
  }
  void Error(int line, const std::string& column, std::string reason) {
    out_->errors.push_back({line, column, std::move(reason)});
  }
  void CheckProblem(const std::vector<const Row*>& rows);
  v1::Outcomes ReadOutcomes(const Row& row);

  const std::string& node_unit_;
  LedgerImport* out_;
  int index_[kColumnCount];
  std::vector<std::string> names_;  // by field position
};

bool LedgerReader::ReadHeader(const Row& row) {
  std::fill(std::begin(index_), std::end(index_), -1);
  const size_t errors = out_->errors.size();
  if (!row.error.empty()) Error(row.line, "", row.error);
  int known = 0;
  for (size_t k = 0; k < row.cells.size(); ++k) {
    std::string name = HeaderName(row.cells[k]);
    names_.push_back(name);
    if (name.empty()) continue;  // checked per row: such a column must stay empty
    const int c = ColumnNamed(name);
    if (c < 0) {
      Error(row.line, name, "unknown column");
      continue;
    }
    ++known;
    if (index_[c] >= 0) Error(row.line, name, "appears twice in the header");
    index_[c] = static_cast<int>(k);
  }
  if (known == 0) {
    out_->errors.resize(errors);
    Error(row.line, "",
          absl::StrCat("not a ledger header; the columns are ",
                       absl::StrJoin(std::begin(kLedgerColumns), std::end(kLedgerColumns), ",")));
    return false;
  }
  for (Column c : kRequired) {
    if (index_[c] < 0) Error(row.line, kLedgerColumns[c], "missing from the header");
  }
  return out_->errors.size() == errors;
}

void LedgerReader::ReadRows(const std::vector<Row>& rows) {
  std::vector<std::vector<const Row*>> groups;
  std::vector<std::string> keys;
  std::map<std::string, int> key_lines;  // 问题编号 -> first line
  for (const Row& row : rows) {
    if (IsBlank(row)) continue;  // blank line, or an empty row Excel wrote
    ++out_->rows;
    if (!row.error.empty()) {
      Error(row.line, Name(row.error_field), row.error);
      continue;
    }
    if (row.cells.size() != names_.size()) {
      Error(row.line, "",
            absl::StrCat("has ", row.cells.size(), " fields where the header has ", names_.size(),
                         " (is a comma or line break left unquoted?)"));
      continue;
    }
    bool stray = false;
    for (size_t k = 0; k < names_.size(); ++k) {
      if (names_[k].empty() && !Trim(row.cells[k]).empty()) {
        Error(row.line, "",
              absl::StrCat("field ", k + 1, " has a value but its column has no name"));
        stray = true;
      }
    }
    if (stray) continue;
    const std::string key = Trim(Cell(row, kProblemNo));
    bool problem_empty = key.empty();
    for (Column c : kProblemColumns) problem_empty &= Trim(Cell(row, c)).empty();
    if (!groups.empty() && (problem_empty || (!key.empty() && key == keys.back()))) {
      groups.back().push_back(&row);
      continue;
    }
    if (!key.empty()) {
      auto [it, fresh] = key_lines.emplace(key, row.line);
      if (!fresh) {
        Error(row.line, kLedgerColumns[kProblemNo],
              absl::StrCat("\"", key, "\" already names the problem on ", out_->line_word, " ", it->second,
                           "; the rows of one problem must follow each other"));
      }
    }
    groups.push_back({&row});
    keys.push_back(key);
  }
  for (const auto& g : groups) CheckProblem(g);
  if (out_->rows == 0) Error(0, "", "the file has no rows below its header");
}

v1::Outcomes LedgerReader::ReadOutcomes(const Row& row) {
  v1::Outcomes o;
  auto count = [&](Column c, void (v1::Outcomes::*set)(int64_t)) {
    auto v = c == kFunds ? ParseFen(Cell(row, c)) : ParseCount(Cell(row, c));
    if (!v.ok()) return Error(row.line, kLedgerColumns[c], std::string(v.status().message()));
    (o.*set)(*v);
  };
  count(kFunds, &v1::Outcomes::set_funds_recovered_fen);
  count(kDisciplined, &v1::Outcomes::set_people_disciplined);
  count(kHandled, &v1::Outcomes::set_people_handled);
  count(kAccountable, &v1::Outcomes::set_people_accountable);
  count(kRules, &v1::Outcomes::set_rules_made);
  return o;
}

void LedgerReader::CheckProblem(const std::vector<const Row*>& rows) {
  const Row& first = *rows.front();
  const size_t errors = out_->errors.size();
  const int line = first.line;
  auto err = [&](Column c, std::string why) { Error(line, kLedgerColumns[c], std::move(why)); };
  LedgerProblem p;
  p.line = line;
  p.last_line = rows.back()->line;
  v1::ProblemRaised& r = p.raised;

  // Free text, checked as aggregator::ValidateEvent will.
  auto text = [&](Column c, size_t max, bool required, std::string* to) {
    *to = Unguard(Cell(first, c));
    if (required && Trim(*to).empty()) return err(c, "must not be empty");
    if (to->size() > max)
      err(c, TooLong(to->size(), max) + (c == kTitle ? "; put the rest in 问题详情" : ""));
  };
  text(kTitle, aggregator::kMaxTitle, true, r.mutable_title());
  text(kDetail, aggregator::kMaxText, false, r.mutable_detail());
  text(kCategory, 100, true, r.mutable_category());

  const std::string source = Trim(Cell(first, kSource));
  if (auto it = Sources().find(source); it != Sources().end()) {
    r.set_source(it->second);
  } else {
    err(kSource,
        absl::StrCat(source.empty() ? "must not be empty" : "\"" + source + "\" is not a source",
                     " (", ChineseWords(Sources()), ")"));
  }
  r.set_unit(Trim(Unguard(Cell(first, kUnit))));
  if (absl::Status s = aggregator::ValidateUnitId(r.unit(), "unit"); !s.ok()) {
    err(kUnit, Reason(s));
  } else if (!aggregator::InSubtree(r.unit(), node_unit_)) {
    err(kUnit,
        absl::StrCat("\"", r.unit(), "\" is outside this node's subtree (", node_unit_, ")"));
  }
  if (auto d = NormalizeDate(Cell(first, kDeadline)); d.ok()) {
    r.set_deadline(*d);
  } else {
    err(kDeadline, std::string(d.status().message()));
  }
  const std::string status = Trim(Cell(first, kStatus));
  bool status_ok = false;
  if (auto it = Statuses().find(status); it != Statuses().end()) {
    p.status = it->second;
    status_ok = true;
  } else {
    err(kStatus,
        absl::StrCat(status.empty() ? "must not be empty" : "\"" + status + "\" is not a status",
                     " (", ChineseWords(Statuses()), ")"));
  }
  const std::string claim = Trim(Cell(first, kClaim));
  if (auto it = Kinds().find(claim); it != Kinds().end()) {
    p.claim = it->second;
  } else if (!claim.empty()) {
    err(kClaim, absl::StrCat("\"", claim, "\" is not a completion kind (", ChineseWords(Kinds()),
                             ", or empty)"));
    status_ok = false;
  }
  p.outcomes = ReadOutcomes(first);

  for (const Row* row : rows) {
    if (row != &first) {
      for (Column c : kProblemColumns) {
        const std::string& v = Cell(*row, c);
        if (!Trim(v).empty() && v != Cell(first, c)) {
          Error(row->line, kLedgerColumns[c],
                absl::StrCat("differs from ", out_->line_word, " ", line,
                             ", the problem's first row (its later rows "
                             "repeat the problem's columns or leave them empty)"));
        }
      }
      for (Column c : kOutcomeColumns) {
        if (!Trim(Cell(*row, c)).empty()) {
          Error(row->line, kLedgerColumns[c],
                absl::StrCat("a problem's totals stand on its first row only (", out_->line_word, " ", line,
                             "); leave this cell empty"));
        }
      }
    }
    LedgerProblem::Measure m;
    m.line = row->line;
    m.text = Unguard(Cell(*row, kMeasure));
    const std::string done = Trim(Cell(*row, kMeasureDone));
    auto deadline = NormalizeDate(Cell(*row, kMeasureDeadline));
    if (Trim(m.text).empty()) {
      if (row != &first) {
        Error(row->line, kLedgerColumns[kMeasure],
              "must not be empty: each row after a problem's first carries one of its measures");
      }
      if (!Trim(Cell(*row, kMeasureDeadline)).empty()) {
        Error(row->line, kLedgerColumns[kMeasureDeadline], "is given on a row without a measure");
      }
      if (!done.empty()) {
        Error(row->line, kLedgerColumns[kMeasureDone], "is given on a row without a measure");
      }
      continue;
    }
    if (m.text.size() > aggregator::kMaxText) {
      Error(row->line, kLedgerColumns[kMeasure], TooLong(m.text.size(), aggregator::kMaxText));
    }
    if (deadline.ok()) {
      m.deadline = *deadline;
    } else {
      Error(row->line, kLedgerColumns[kMeasureDeadline], std::string(deadline.status().message()));
    }
    if (done == "是") {
      m.done = true;
    } else if (!done.empty() && done != "否") {
      Error(row->line, kLedgerColumns[kMeasureDone],
            absl::StrCat("\"", done, "\" is not 是 or 否"));
    }
    p.measures.push_back(std::move(m));
  }

  // The status must be the one the records will derive (aggregator/fold).
  const bool work = !p.measures.empty() || HasOutcomes(p.outcomes);
  const bool claimed = p.claim != v1::CLAIM_KIND_UNSPECIFIED;
  if (status_ok && p.status == v1::STATUS_OPEN && work) {
    err(kStatus, "待整改 does not fit a problem with measures or results: it is 整改中");
  }
  if (status_ok && claimed && (p.status == v1::STATUS_OPEN || p.status == v1::STATUS_IN_PROGRESS)) {
    err(kClaim,
        absl::StrCat("a completion kind goes with 待验收, 已验收 or 已销号, not with ", status));
  }
  if (status_ok && !claimed && p.status == v1::STATUS_CLAIMED) {
    err(kClaim, absl::StrCat("must be given for 待验收 (", ChineseWords(Kinds()), ")"));
  }
  if (out_->errors.size() != errors) return;

  const std::string lines =
      p.last_line == p.line ? "" : absl::StrCat(" (", out_->line_word, "s ", p.line, "-", p.last_line, ")");
  if (p.status == v1::STATUS_ACCEPTED || p.status == v1::STATUS_CLOSED) {
    out_->refused.push_back(
        {line, kLedgerColumns[kStatus],
         absl::StrCat(status,
                      " needs a superior's review (验收/销号), which a unit cannot give "
                      "itself: import the problem as 待验收 and have it reviewed, or leave it out",
                      lines)});
    return;
  }
  if (r.unit() != node_unit_ && (work || p.status != v1::STATUS_OPEN)) {
    Column c = !p.measures.empty() ? kMeasure : HasOutcomes(p.outcomes) ? kFunds : kStatus;
    out_->refused.push_back(
        {line, kLedgerColumns[c],
         absl::StrCat("only the responsible unit ", r.unit(),
                      " adds measures, reports results and claims completion: import this problem "
                      "on its node, or here as 待整改 without measures",
                      lines)});
    return;
  }
  out_->problems.push_back(std::move(p));
}

}  // namespace

LedgerImport ParseLedger(const Table& rows, const std::string& node_unit,
                         const std::string& line_word) {
  LedgerImport out;
  out.line_word = line_word;
  if (rows.empty()) {
    out.errors.push_back({0, "", "the file is empty: it has no header"});
    return out;
  }
  // The header: the first of the first ten non-blank rows that names a
  // ledger column (the rows above it are a sheet's title).
  size_t header = 0;
  for (size_t k = 0, seen = 0; k < rows.size() && seen < 10; ++k) {
    if (IsBlank(rows[k])) continue;
    ++seen;
    if (KnownColumns(rows[k]) > 0) {
      header = k;
      break;
    }
  }
  LedgerReader reader(node_unit, &out);
  if (reader.ReadHeader(rows[header])) {
    reader.ReadRows({rows.begin() + header + 1, rows.end()});
  }
  std::stable_sort(out.errors.begin(), out.errors.end(),
                   [](const LedgerIssue& a, const LedgerIssue& b) { return a.line < b.line; });
  return out;
}

std::vector<PlannedRecord> PlanLedgerRecords(const std::vector<LedgerProblem>& problems,
                                             const std::string& unit, uint64_t head_seq,
                                             const std::string& author, const std::string& source) {
  std::vector<PlannedRecord> out;
  uint64_t seq = head_seq;
  // The next record; its seq is `seq` once added.
  auto add = [&](int line) -> v1::RecordBody& {
    ++seq;
    out.push_back({});
    out.back().line = line;
    out.back().body.set_author(author);
    return out.back().body;
  };
  auto note = [&](int line, absl::string_view what) {
    return absl::StrCat("据整改台账 ", source, " 第", line, "行导入: ", what);
  };
  for (const LedgerProblem& p : problems) {
    const std::string pid = absl::StrCat(unit, ":P", seq + 1);
    v1::ProblemRaised* raised = add(p.line).mutable_problem_raised();
    *raised = p.raised;
    raised->set_problem_id(pid);
    std::vector<std::string> mids;
    for (const LedgerProblem::Measure& m : p.measures) {
      mids.push_back(absl::StrCat(unit, ":M", seq + 1));
      v1::MeasureAdded* e = add(m.line).mutable_measure_added();
      e->set_problem_id(pid);
      e->set_measure_id(mids.back());
      e->set_text(m.text);
      e->set_deadline(m.deadline);
    }
    for (size_t k = 0; k < p.measures.size(); ++k) {
      if (!p.measures[k].done) continue;
      v1::ProgressReported* e = add(p.measures[k].line).mutable_progress_reported();
      e->set_problem_id(pid);
      e->set_measure_id(mids[k]);
      e->set_measure_done(true);
      e->set_note(note(p.measures[k].line, "措施已完成"));
    }
    if (HasOutcomes(p.outcomes)) {
      v1::ProgressReported* e = add(p.line).mutable_progress_reported();
      e->set_problem_id(pid);
      *e->mutable_outcomes() = p.outcomes;
      e->set_note(note(p.line, "整改成果"));
    } else if (p.status == v1::STATUS_IN_PROGRESS && p.measures.empty()) {
      v1::ProgressReported* e = add(p.line).mutable_progress_reported();
      e->set_problem_id(pid);
      e->set_note(note(p.line, "整改中"));
    }
    if (p.status == v1::STATUS_CLAIMED) {
      v1::CompletionClaimed* e = add(p.line).mutable_completion_claimed();
      e->set_problem_id(pid);
      e->set_kind(p.claim);
      e->set_note(note(p.line, "申请验收"));
    }
  }
  return out;
}

}  // namespace rectsync::ledger
