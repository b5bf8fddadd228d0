#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "node/ledger/formats.h"

namespace rectsync::ledger {
namespace {
constexpr absl::string_view kBom = "\xEF\xBB\xBF";
}  // namespace

size_t FirstInvalidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = s[i];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (n == 0 || (n == 2 && c < 0xc2) || (n == 4 && c > 0xf4) || i + n > s.size()) return i;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return i;
    }
    unsigned char c1 = n > 1 ? s[i + 1] : 0;
    if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 > 0x9f) || (c == 0xf0 && c1 < 0x90) ||
        (c == 0xf4 && c1 > 0x8f)) {
      return i;  // overlong, surrogate or beyond U+10FFFF
    }
    i += n;
  }
  return absl::string_view::npos;
}

Table ReadCsv(absl::string_view text) {
  Table rows;
  size_t i = 0;
  const size_t n = text.size();
  int line = 1;
  auto row_end = [&](size_t k) {
    return k >= n || text[k] == '\n' || (text[k] == '\r' && (k + 1 == n || text[k + 1] == '\n'));
  };
  while (i < n) {
    Row row;
    row.line = line;
    auto fail = [&](std::string why) {
      if (row.error.empty()) {
        row.error = std::move(why);
        row.error_field = static_cast<int>(row.cells.size());
      }
    };
    while (true) {
      std::string field;
      if (text[i] == '"') {
        const int opened = line;
        bool closed = false;
        for (++i; i < n; ++i) {
          if (text[i] == '"') {
            if (i + 1 < n && text[i + 1] == '"') {
              field += '"';
              ++i;
              continue;
            }
            ++i;
            closed = true;
            break;
          }
          if (text[i] == '\n') ++line;
          field += text[i];
        }
        if (!closed) {
          fail(absl::StrCat("the quoted field opened on line ", opened,
                            " is never closed: the file ends inside it (truncated?)"));
        } else if (!row_end(i) && text[i] != ',') {
          fail("text after a closing quote (a quote inside a quoted field is written \"\")");
          while (!row_end(i) && text[i] != ',') field += text[i++];
        }
      } else {
        while (!row_end(i) && text[i] != ',') {
          if (text[i] == '"')
            fail("a quote inside an unquoted field (quote the field and double the quote)");
          field += text[i++];
        }
      }
      row.cells.push_back(std::move(field));
      if (i < n && text[i] == ',') {
        ++i;
        if (i == n) row.cells.emplace_back();
        if (i < n) continue;
      }
      if (i < n && text[i] == '\r') ++i;
      if (i < n && text[i] == '\n') {
        ++i;
        ++line;
      }
      break;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string CsvLine(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t k = 0; k < fields.size(); ++k) {
    const std::string& f = fields[k];
    if (k) out += ',';
    bool quote = f.find_first_of(",\"\r\n") != std::string::npos ||
                 (!f.empty() && (absl::ascii_isspace(f.front()) || absl::ascii_isspace(f.back())));
    if (!quote) {
      out += f;
      continue;
    }
    out += '"';
    out += absl::StrReplaceAll(f, {{"\"", "\"\""}});
    out += '"';
  }
  out += "\r\n";
  return out;
}

std::string LedgerCsv(std::vector<v1::ProblemState> problems, const ExportOptions& options) {
  std::string out(kBom);
  for (Row& row : LedgerTable(std::move(problems), options)) {
    for (std::string& cell : row.cells) {
      if (NeedsFormulaGuard(cell)) cell.insert(0, "'");
    }
    out += CsvLine(row.cells);
  }
  return out;
}

LedgerImport ParseLedgerCsv(absl::string_view csv, const std::string& node_unit) {
  if (absl::StartsWith(csv, kBom)) csv.remove_prefix(kBom.size());
  if (size_t bad = FirstInvalidUtf8(csv); bad != absl::string_view::npos) {
    LedgerImport out;
    int line = 1 + static_cast<int>(std::count(csv.begin(), csv.begin() + bad, '\n'));
    out.errors.push_back({line, "",
                          "the file is not UTF-8 (in Excel, save as \"CSV UTF-8\"; plain "
                          "\"CSV\" on a Chinese Windows is GBK)"});
    return out;
  }
  return ParseLedger(ReadCsv(csv), node_unit);
}

}  // namespace rectsync::ledger
