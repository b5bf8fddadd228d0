// Writing .xlsx (formats.h) with libxlsxwriter, through a temporary file (the
// library writes files, not memory).
#include <unistd.h>
#include <xlsxwriter.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "node/ledger/formats.h"

namespace rectsync::ledger {

absl::StatusOr<std::string> WriteXlsx(const Table& table, const std::string& sheet) {
  const char* env = std::getenv("TMPDIR");
  std::string dir = env && *env ? env : "/tmp";
  std::string path = dir + "/rectsync-xlsx-XXXXXX";
  int fd = ::mkstemp(path.data());
  if (fd < 0) return absl::UnavailableError(absl::StrCat("cannot create a temporary file in ", dir));
  ::close(fd);
  struct Unlink {
    std::string path;
    ~Unlink() { ::unlink(path.c_str()); }
  } unlink{path};

  lxw_workbook_options options = {};
  options.tmpdir = dir.data();
  lxw_workbook* wb = workbook_new_opt(path.c_str(), &options);
  if (!wb) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  lxw_worksheet* ws = workbook_add_worksheet(wb, sheet.c_str());
  if (!ws) {
    workbook_close(wb);
    return absl::InvalidArgumentError(absl::StrCat("\"", sheet, "\" cannot name a sheet"));
  }
  lxw_format* head = workbook_add_format(wb);
  format_set_bold(head);
  format_set_bg_color(head, 0xDDEBF7);
  format_set_text_wrap(head);
  format_set_align(head, LXW_ALIGN_VERTICAL_CENTER);
  lxw_format* wrap = workbook_add_format(wb);
  format_set_text_wrap(wrap);
  format_set_align(wrap, LXW_ALIGN_VERTICAL_TOP);
  lxw_format* yuan = workbook_add_format(wb);
  format_set_num_format(yuan, "#,##0.00");
  format_set_align(yuan, LXW_ALIGN_VERTICAL_TOP);
  lxw_format* top = workbook_add_format(wb);
  format_set_align(top, LXW_ALIGN_VERTICAL_TOP);

  const bool ledger = !table.empty() && table[0].cells.size() == std::size(kLedgerColumns) &&
                      std::equal(table[0].cells.begin(), table[0].cells.end(), std::begin(kLedgerColumns));
  lxw_error err = LXW_NO_ERROR;
  for (size_t r = 0; r < table.size() && err == LXW_NO_ERROR; ++r) {
    const std::vector<std::string>& cells = table[r].cells;
    for (size_t c = 0; c < cells.size() && err == LXW_NO_ERROR; ++c) {
      if (cells[c].empty()) continue;
      const CellKind kind = ledger && r > 0 ? ColumnKind(static_cast<int>(c)) : CellKind::kText;
      double x = 0;
      if ((kind == CellKind::kCount || kind == CellKind::kYuan) && absl::SimpleAtod(cells[c], &x)) {
        err = worksheet_write_number(ws, r, c, x, kind == CellKind::kYuan ? yuan : top);
      } else {
        err = worksheet_write_string(ws, r, c, cells[c].c_str(), r == 0 ? head : wrap);
      }
    }
  }
  if (ledger) {
    // Widths in characters: the long texts wide, the rest to their header.
    for (size_t c = 0; c < std::size(kLedgerColumns); ++c) {
      const std::string name = kLedgerColumns[c];
      double width = name == "问题描述" || name == "问题详情" || name == "整改措施" || name == "完成情况"
                         ? 36
                         : ColumnKind(static_cast<int>(c)) == CellKind::kDate ? 12 : 10;
      if (name == "责任单位") width = 18;
      worksheet_set_column(ws, c, c, width, nullptr);
    }
  }
  if (!table.empty() && err == LXW_NO_ERROR) {
    worksheet_freeze_panes(ws, 1, 0);
    size_t width = table[0].cells.size();
    if (width > 0) worksheet_autofilter(ws, 0, 0, table.size() - 1, width - 1);
  }
  lxw_error closed = workbook_close(wb);
  if (err != LXW_NO_ERROR || closed != LXW_NO_ERROR) {
    return absl::UnavailableError(
        absl::StrCat("cannot write the workbook: ", lxw_strerror(err != LXW_NO_ERROR ? err : closed)));
  }
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return absl::UnavailableError(absl::StrCat("cannot read back ", path));
  return bytes;
}

absl::StatusOr<std::string> LedgerXlsx(std::vector<v1::ProblemState> problems, const ExportOptions& options) {
  return WriteXlsx(LedgerTable(std::move(problems), options), "整改台账");
}

}  // namespace rectsync::ledger
