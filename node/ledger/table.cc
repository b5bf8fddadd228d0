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

// --- Cell values ---

bool AllDigits(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

bool NeedsFormulaGuard(absl::string_view s) {
  size_t i = 0;
  while (i < s.size() && s[i] == '\'') ++i;
  if (i == s.size()) return false;
  char c = s[i];
  return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

CellKind ColumnKind(int column) {
  switch (column) {
    case kSeq: case kDisciplined: case kHandled: case kAccountable: case kRules:
      return CellKind::kCount;
    case kFunds:
      return CellKind::kYuan;
    case kDeadline: case kMeasureDeadline:
      return CellKind::kDate;
    default:
      return CellKind::kText;
  }
}

absl::StatusOr<std::string> NormalizeDate(absl::string_view cell) {
  std::string s = Trim(cell);
  if (s.empty()) return s;
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat("\"", s, "\" is not a date (YYYY-MM-DD)"));
  };
  std::string t = absl::StrReplaceAll(s, {{"年", "-"}, {"月", "-"}, {"/", "-"}, {".", "-"}});
  if (absl::EndsWith(t, "日")) t.resize(t.size() - std::string("日").size());
  std::vector<std::string> parts = absl::StrSplit(t, '-');
  if (parts.size() != 3 || parts[0].size() != 4 || !AllDigits(parts[0]) || !AllDigits(parts[1]) ||
      !AllDigits(parts[2]) || parts[1].size() > 2 || parts[2].size() > 2) {
    return bad();
  }
  std::string date = absl::StrCat(parts[0], "-", std::string(2 - parts[1].size(), '0'), parts[1],
                                  "-", std::string(2 - parts[2].size(), '0'), parts[2]);
  if (!aggregator::ParseDate(date).ok()) return bad();
  return date;
}

absl::StatusOr<int64_t> ParseFen(absl::string_view cell) {
  std::string s = Trim(cell);
  if (s.empty()) return 0;
  auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", s, "\" is not an amount in yuan (e.g. 1234.50)"));
  };
  if (s[0] == '-') {
    return absl::InvalidArgumentError(absl::StrCat("\"", s, "\" must not be negative"));
  }
  std::string whole = s, frac;
  if (size_t dot = s.find('.'); dot != std::string::npos) {
    whole = s.substr(0, dot);
    frac = s.substr(dot + 1);
    if (!AllDigits(frac)) return bad();
    while (frac.size() > 2 && frac.back() == '0') frac.pop_back();
    if (frac.size() > 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", s, "\" has more than two decimals (the smallest unit is 分)"));
    }
  }
  if (whole.find(',') != std::string::npos) {  // thousands grouping: 1,234,567
    std::vector<std::string> groups = absl::StrSplit(whole, ',');
    for (size_t i = 0; i < groups.size(); ++i) {
      if (!AllDigits(groups[i]) || (i > 0 ? groups[i].size() != 3 : groups[i].size() > 3)) {
        return bad();
      }
    }
    whole = absl::StrJoin(groups, "");
  }
  if (!AllDigits(whole)) return bad();
  if (whole.size() > 15)
    return absl::InvalidArgumentError(absl::StrCat("\"", s, "\" is implausibly large"));
  frac.resize(2, '0');
  int64_t fen = std::stoll(whole) * 100 + std::stoll(frac);
  if (fen > kMaxAmount)
    return absl::InvalidArgumentError(absl::StrCat("\"", s, "\" is implausibly large"));
  return fen;
}

absl::StatusOr<int64_t> ParseCount(absl::string_view cell) {
  std::string s = Trim(cell);
  if (s.empty()) return 0;
  if (s[0] == '-' && AllDigits(s.substr(1))) {
    return absl::InvalidArgumentError(absl::StrCat("\"", s, "\" must not be negative"));
  }
  if (!AllDigits(s)) {
    return absl::InvalidArgumentError(absl::StrCat("\"", s, "\" is not a whole number"));
  }
  if (s.size() > 15 || std::stoll(s) > kMaxAmount) {
    return absl::InvalidArgumentError(absl::StrCat("\"", s, "\" is implausibly large"));
  }
  return std::stoll(s);
}

namespace {

std::string FenAsYuan(int64_t fen) {
  return absl::StrCat(fen / 100, ".", fen % 100 < 10 ? "0" : "", fen % 100);
}


// "Natural" comparison: digit runs compared as numbers. <0, 0, >0.
int NaturalCompare(absl::string_view a, absl::string_view b) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (digit(a[i]) && digit(b[j])) {
      size_t i2 = i, j2 = j;
      while (i2 < a.size() && digit(a[i2])) ++i2;
      while (j2 < b.size() && digit(b[j2])) ++j2;
      absl::string_view x = a.substr(i, i2 - i), y = b.substr(j, j2 - j);
      while (x.size() > 1 && x[0] == '0') x.remove_prefix(1);
      while (y.size() > 1 && y[0] == '0') y.remove_prefix(1);
      if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
      if (x != y) return x < y ? -1 : 1;
      i = i2;
      j = j2;
    } else {
      if (a[i] != b[j])
        return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]) ? -1 : 1;
      ++i;
      ++j;
    }
  }
  return (a.size() - i == b.size() - j) ? 0 : (a.size() - i < b.size() - j ? -1 : 1);
}

}  // namespace

// --- Export ---

bool LedgerIdLess(absl::string_view a, absl::string_view b) {
  auto origin = [](absl::string_view id) { return id.substr(0, id.find(':')); };
  auto local = [](absl::string_view id) {
    size_t c = id.find(':');
    return c == id.npos ? absl::string_view() : id.substr(c + 1);
  };
  if (origin(a) != origin(b)) return origin(a) < origin(b);
  if (int c = NaturalCompare(local(a), local(b))) return c < 0;
  return a < b;
}

Table LedgerTable(std::vector<v1::ProblemState> problems, const ExportOptions& options) {
  problems.erase(std::remove_if(problems.begin(), problems.end(),
                                [](const v1::ProblemState& p) { return !p.raised(); }),
                 problems.end());
  std::sort(problems.begin(), problems.end(),
            [](const v1::ProblemState& a, const v1::ProblemState& b) {
              if (a.unit() != b.unit()) return a.unit() < b.unit();
              return LedgerIdLess(a.problem_id(), b.problem_id());
            });
  Table out;
  out.push_back(Row{1, {std::begin(kLedgerColumns), std::end(kLedgerColumns)}, "", -1});
  int row = 0;
  int number = 0;
  for (const v1::ProblemState& p : problems) {
    ++number;
    std::vector<const v1::Measure*> measures;
    for (const v1::Measure& m : p.measures()) measures.push_back(&m);
    std::sort(measures.begin(), measures.end(), [](const v1::Measure* a, const v1::Measure* b) {
      return LedgerIdLess(a->measure_id(), b->measure_id());
    });
    const bool judged = p.status() == v1::STATUS_CLAIMED || p.status() == v1::STATUS_ACCEPTED ||
                        p.status() == v1::STATUS_CLOSED;
    for (size_t k = 0; k < std::max<size_t>(1, measures.size()); ++k) {
      std::vector<std::string> f(kColumnCount);
      f[kSeq] = absl::StrCat(++row);
      f[kProblemNo] = options.ids ? p.problem_id() : absl::StrCat(number);
      f[kTitle] = p.title();
      f[kDetail] = p.detail();
      f[kCategory] = p.category();
      f[kSource] = WordOf(Sources(), p.source());
      f[kUnit] = p.unit();
      f[kDeadline] = p.deadline();
      f[kStatus] = WordOf(Statuses(), p.status());
      if (judged) f[kClaim] = WordOf(Kinds(), aggregator::CurrentClaimKind(p));
      if (k < measures.size()) {
        const v1::Measure& m = *measures[k];
        f[kMeasureNo] = options.ids ? m.measure_id() : absl::StrCat(k + 1);
        f[kMeasure] = m.text();
        f[kMeasureDeadline] = m.deadline();
        f[kMeasureDone] = m.done() ? "是" : "否";
      }
      if (k == 0) {
        const v1::Outcomes& o = p.outcomes();
        f[kFunds] = FenAsYuan(o.funds_recovered_fen());
        f[kDisciplined] = absl::StrCat(o.people_disciplined());
        f[kHandled] = absl::StrCat(o.people_handled());
        f[kAccountable] = absl::StrCat(o.people_accountable());
        f[kRules] = absl::StrCat(o.rules_made());
      }
      out.push_back(Row{row + 1, std::move(f), "", -1});
    }
  }
  return out;
}

}  // namespace rectsync::ledger
