// Reading .xlsx (formats.h) with libzip and pugixml: the first sheet as a
// table. It trusts nothing in the file: every size is bounded before it is
// allocated, and every failure names what is wrong. Fuzzed
// (fuzz_ledger_file.cc). Writing is xlsx_write.cc.
#include <zip.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <map>
#include <memory>
#include <pugixml.hpp>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "node/ledger/formats.h"

namespace rectsync::ledger {
namespace {

// --- Limits (Excel's own, and what a ledger can plausibly need) ---
constexpr zip_uint64_t kMaxPart = 64u << 20;  // bytes of one part, uncompressed
constexpr int kMaxRow = 1048576;                // Excel's last row
constexpr int kMaxColumn = 16384;               // Excel's last column (XFD)
constexpr int kMaxColumnsUsed = 256;            // a ledger has 19
constexpr size_t kMaxCells = 4u << 20;

absl::Status Bad(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("not a readable .xlsx file: ", why));
}

// --- Reading the zip ---

class Archive {
 public:
  static absl::StatusOr<std::unique_ptr<Archive>> Open(absl::string_view bytes) {
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
    zip_t* zip = src ? zip_open_from_source(src, ZIP_RDONLY, &error) : nullptr;
    if (!zip) {
      std::string why = zip_error_strerror(&error);
      if (src) zip_source_free(src);
      zip_error_fini(&error);
      return Bad(absl::StrCat("it is not a zip archive (", why, "); an .xlsx is one"));
    }
    zip_error_fini(&error);
    return std::unique_ptr<Archive>(new Archive(zip));
  }
  ~Archive() { zip_discard(zip_); }

  bool Has(const std::string& name) const { return zip_name_locate(zip_, name.c_str(), 0) >= 0; }

  // The whole part `name`, at most kMaxPart bytes.
  absl::StatusOr<std::string> Read(const std::string& name) const {
    zip_int64_t index = zip_name_locate(zip_, name.c_str(), 0);
    if (index < 0) return Bad(absl::StrCat("it has no part ", name));
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(zip_, index, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE)) {
      return Bad(absl::StrCat(name, ": ", zip_strerror(zip_)));
    }
    if (st.size > kMaxPart) {
      return Bad(absl::StrCat(name, " unpacks to ", st.size, " bytes, more than the ", kMaxPart,
                              " a ledger sheet may have"));
    }
    zip_file_t* f = zip_fopen_index(zip_, index, 0);
    if (!f) return Bad(absl::StrCat(name, ": ", zip_strerror(zip_)));
    std::string out(st.size, '\0');
    zip_uint64_t got = 0;
    while (got < st.size) {
      zip_int64_t n = zip_fread(f, out.data() + got, st.size - got);
      if (n <= 0) break;
      got += n;
    }
    char extra;
    const bool longer = got == st.size && zip_fread(f, &extra, 1) > 0;
    std::string why = zip_file_strerror(f);
    zip_fclose(f);
    if (got != st.size || longer) {
      return Bad(absl::StrCat(name, " is damaged (", longer ? "longer than it says" : why, ")"));
    }
    return out;
  }

 private:
  explicit Archive(zip_t* zip) : zip_(zip) {}
  zip_t* zip_;
};

// --- XML helpers: SpreadsheetML elements may carry a namespace prefix ---

absl::string_view Local(const pugi::xml_node& n) {
  absl::string_view name = n.name();
  size_t colon = name.find(':');
  return colon == name.npos ? name : name.substr(colon + 1);
}
pugi::xml_node Child(const pugi::xml_node& n, absl::string_view name) {
  for (pugi::xml_node c : n.children()) {
    if (c.type() == pugi::node_element && Local(c) == name) return c;
  }
  return {};
}
// An attribute by local name (r:id and id alike).
pugi::xml_attribute Attr(const pugi::xml_node& n, absl::string_view name) {
  for (pugi::xml_attribute a : n.attributes()) {
    absl::string_view an = a.name();
    size_t colon = an.find(':');
    if ((colon == an.npos ? an : an.substr(colon + 1)) == name) return a;
  }
  return {};
}

absl::Status Parse(pugi::xml_document* doc, const std::string& text, const std::string& part) {
  pugi::xml_parse_result r = doc->load_buffer(text.data(), text.size(), pugi::parse_default,
                                              pugi::encoding_auto);
  if (!r) {
    return Bad(absl::StrCat(part, " is not XML (", r.description(), " at byte ", r.offset, ")"));
  }
  return absl::OkStatus();
}

// The text of a string item (<si> or <is>): its <t>, or the <t> of each rich
// text run <r>; phonetic guides (<rPh>) are not the text.
std::string ItemText(const pugi::xml_node& item) {
  std::string out;
  for (pugi::xml_node c : item.children()) {
    if (Local(c) == "t") {
      out += c.text().get();
    } else if (Local(c) == "r") {
      out += Child(c, "t").text().get();
    }
  }
  return out;
}

// "AB12" -> column 27 (0-based); -1 if not a cell reference.
int ColumnOf(absl::string_view ref) {
  int col = 0, letters = 0;
  for (char ch : ref) {
    if (ch >= 'A' && ch <= 'Z') {
      if (++letters > 3) return -1;
      col = col * 26 + (ch - 'A' + 1);
    } else {
      break;
    }
  }
  return letters == 0 || col > kMaxColumn ? -1 : col - 1;
}

// Number formats that show a date: Excel's built-in ones, and custom codes
// with a year or day part (outside quoted text, escapes and [...] sections).
bool IsDateFormat(int id, const std::map<int, std::string>& custom) {
  if ((id >= 14 && id <= 22) || (id >= 27 && id <= 36) || (id >= 45 && id <= 47) ||
      (id >= 50 && id <= 58)) {
    return true;
  }
  auto it = custom.find(id);
  if (it == custom.end()) return false;
  bool quoted = false, bracket = false;
  const std::string& code = it->second;
  for (size_t i = 0; i < code.size(); ++i) {
    char ch = code[i];
    if (quoted) {
      quoted = ch != '"';
    } else if (bracket) {
      bracket = ch != ']';
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == '[') {
      bracket = true;
    } else if (ch == '\\') {
      ++i;
    } else if (ch == 'y' || ch == 'Y' || ch == 'd' || ch == 'D') {
      return true;
    }
  }
  return false;
}

// Which cell styles (the s attribute, an index into cellXfs) show dates.
std::vector<bool> DateStyles(const pugi::xml_document& styles) {
  pugi::xml_node root = styles.document_element();
  std::map<int, std::string> custom;
  for (pugi::xml_node f : Child(root, "numFmts").children()) {
    if (Local(f) == "numFmt") custom[Attr(f, "numFmtId").as_int(-1)] = Attr(f, "formatCode").value();
  }
  std::vector<bool> out;
  for (pugi::xml_node xf : Child(root, "cellXfs").children()) {
    if (Local(xf) != "xf") continue;
    if (out.size() >= 65536) break;
    out.push_back(IsDateFormat(Attr(xf, "numFmtId").as_int(0), custom));
  }
  return out;
}

// Excel's serial day (1900 date system, serial >= 61) as YYYY-MM-DD.
std::string SerialDate(double serial) {
  // Days since 1970-01-01, then the civil date (H. Hinnant's algorithm).
  int64_t z = static_cast<int64_t>(std::floor(serial)) - 25569 + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  return absl::StrFormat("%04d-%02d-%02d", y + (m <= 2), m, d);
}

// A number as Excel shows it in General format: integers without a point,
// others to 15 significant digits (so 1234.5599999999999 reads 1234.56).
std::string NumberText(double x) {
  if (std::fabs(x) < 1e15 && x == std::floor(x)) return absl::StrFormat("%.0f", x);
  return absl::StrFormat("%.15g", x);
}

// The part a workbook relationship points at, as a path in the archive.
std::string PartPath(absl::string_view target) {
  if (absl::StartsWith(target, "/")) return std::string(target.substr(1));
  std::string t(target);
  while (absl::StartsWith(t, "./")) t.erase(0, 2);
  return absl::StrCat("xl/", t);
}

}  // namespace

bool LooksLikeXlsx(absl::string_view bytes) { return absl::StartsWith(bytes, "PK\x03\x04"); }

absl::StatusOr<Table> ReadXlsx(absl::string_view bytes) {
  if (bytes.empty()) return Bad("the file is empty");
  auto archive = Archive::Open(bytes);
  if (!archive.ok()) return archive.status();
  const Archive& zip = **archive;
  if (!zip.Has("xl/workbook.xml")) {
    return Bad("it has no xl/workbook.xml (a zip, but not a spreadsheet; .xls and .ods are not read: "
               "save it as .xlsx or CSV UTF-8)");
  }

  // The first sheet: workbook.xml names it, its relationships locate it.
  std::string sheet_path = "xl/worksheets/sheet1.xml";
  {
    auto text = zip.Read("xl/workbook.xml");
    if (!text.ok()) return text.status();
    pugi::xml_document wb;
    if (absl::Status s = Parse(&wb, *text, "xl/workbook.xml"); !s.ok()) return s;
    pugi::xml_node sheet = Child(Child(wb.document_element(), "sheets"), "sheet");
    if (!sheet) return Bad("its workbook has no sheet");
    std::string rid = Attr(sheet, "id").value();
    if (zip.Has("xl/_rels/workbook.xml.rels")) {
      auto rels_text = zip.Read("xl/_rels/workbook.xml.rels");
      if (!rels_text.ok()) return rels_text.status();
      pugi::xml_document rels;
      if (absl::Status s = Parse(&rels, *rels_text, "xl/_rels/workbook.xml.rels"); !s.ok()) return s;
      for (pugi::xml_node rel : rels.document_element().children()) {
        if (Local(rel) == "Relationship" && rid == Attr(rel, "Id").value()) {
          sheet_path = PartPath(Attr(rel, "Target").value());
        }
      }
    }
  }
  if (!zip.Has(sheet_path)) return Bad(absl::StrCat("its first sheet ", sheet_path, " is missing"));

  std::vector<std::string> shared;
  if (zip.Has("xl/sharedStrings.xml")) {
    auto text = zip.Read("xl/sharedStrings.xml");
    if (!text.ok()) return text.status();
    pugi::xml_document doc;
    if (absl::Status s = Parse(&doc, *text, "xl/sharedStrings.xml"); !s.ok()) return s;
    for (pugi::xml_node si : doc.document_element().children()) {
      if (Local(si) == "si") shared.push_back(ItemText(si));
    }
  }
  std::vector<bool> date_style;
  if (zip.Has("xl/styles.xml")) {
    auto text = zip.Read("xl/styles.xml");
    if (!text.ok()) return text.status();
    pugi::xml_document doc;
    if (absl::Status s = Parse(&doc, *text, "xl/styles.xml"); !s.ok()) return s;
    date_style = DateStyles(doc);
  }

  auto text = zip.Read(sheet_path);
  if (!text.ok()) return text.status();
  pugi::xml_document sheet;
  if (absl::Status s = Parse(&sheet, *text, sheet_path); !s.ok()) return s;
  pugi::xml_node data = Child(sheet.document_element(), "sheetData");

  Table table;
  size_t cells = 0, width = 0;
  int last_row = 0;
  for (pugi::xml_node row : data.children()) {
    if (Local(row) != "row") continue;
    int r = Attr(row, "r").as_int(last_row + 1);
    if (r <= last_row || r > kMaxRow) {
      return Bad(absl::StrCat(sheet_path, ": row number ", r,
                              r > kMaxRow ? " is past Excel's last row" : " is out of order"));
    }
    last_row = r;
    Row out;
    out.line = r;
    int next = 0;
    for (pugi::xml_node c : row.children()) {
      if (Local(c) != "c") continue;
      pugi::xml_attribute ref = Attr(c, "r");
      int col = ref ? ColumnOf(ref.value()) : next;
      if (col < 0) return Bad(absl::StrCat(sheet_path, ": \"", ref.value(), "\" is not a cell reference"));
      if (col < next) return Bad(absl::StrCat(sheet_path, ": cell ", ref.value(), " is out of order"));
      next = col + 1;
      const std::string type = Attr(c, "t").value();
      const std::string v = Child(c, "v").text().get();
      std::string value;
      if (type == "s") {
        size_t k = 0;
        if (!absl::SimpleAtoi(v, &k) || k >= shared.size()) {
          return Bad(absl::StrCat(sheet_path, ": row ", r, " refers to shared string ", v,
                                  ", which xl/sharedStrings.xml does not have"));
        }
        value = shared[k];
      } else if (type == "inlineStr") {
        value = ItemText(Child(c, "is"));
      } else if (type == "b") {
        value = v == "1" ? "TRUE" : v.empty() ? "" : "FALSE";
      } else if (type == "str" || type == "e") {
        value = v;  // a formula's text result, or an error such as #N/A
      } else {      // a number (t="n" or none)
        double x = 0;
        if (v.empty()) {
          value = "";
        } else if (!absl::SimpleAtod(v, &x) || !std::isfinite(x)) {
          return Bad(absl::StrCat(sheet_path, ": row ", r, " has the number \"", v, "\""));
        } else {
          size_t style = Attr(c, "s").as_uint(0);
          bool date = style < date_style.size() && date_style[style] && x >= 61 && x < 2958466;
          value = date ? SerialDate(x) : NumberText(x);
        }
      }
      if (value.empty()) continue;
      if (col >= kMaxColumnsUsed) {
        return Bad(absl::StrCat("row ", r, " has a value in column ", col + 1,
                                "; a ledger uses at most ", kMaxColumnsUsed));
      }
      if (++cells > kMaxCells) return Bad(absl::StrCat("it has more than ", kMaxCells, " cells"));
      if (FirstInvalidUtf8(value) != absl::string_view::npos) {
        return Bad(absl::StrCat("row ", r, " has text that is not UTF-8"));
      }
      if (out.cells.size() <= static_cast<size_t>(col)) out.cells.resize(col + 1);
      out.cells[col] = std::move(value);
    }
    width = std::max(width, out.cells.size());
    if (!out.cells.empty()) table.push_back(std::move(out));
  }
  // Excel leaves out empty cells: every row as wide as the widest.
  for (Row& row : table) row.cells.resize(width);
  return table;
}

LedgerImport ParseLedgerFile(absl::string_view bytes, const std::string& node_unit) {
  if (!LooksLikeXlsx(bytes)) return ParseLedgerCsv(bytes, node_unit);
  absl::StatusOr<Table> table = ReadXlsx(bytes);
  LedgerImport out;
  if (!table.ok()) {
    out.errors.push_back({0, "", std::string(table.status().message())});
  } else {
    out = ParseLedger(*table, node_unit, "row");
  }
  out.line_word = "row";
  return out;
}

}  // namespace rectsync::ledger
