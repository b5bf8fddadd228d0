// The ledger's pages: 台账 with its filters, 导入, and the print-ready 通报.
#include "node/console/pages.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "aggregator/fold.h"
#include "node/cli/render.h"
#include "node/console/page_parts.h"
#include "node/record/keys.h"

namespace rectsync::console {
namespace {

std::string ProblemLink(const std::string& id, const std::string& text) {
  return absl::StrCat("<a href=\"/problem?id=", UrlEncode(id), "\">", Esc(text), "</a>");
}

}  // namespace

std::string LedgerFilter::Query() const {
  std::string q;
  auto add = [&](const char* k, const std::string& val) {
    if (val.empty()) return;
    absl::StrAppend(&q, q.empty() ? "" : "&", k, "=", UrlEncode(val));
  };
  add("unit", unit);
  add("status", status);
  add("category", category);
  add("colour", colour);
  add("inspection", inspection);
  add("before", before);
  add("q", text);
  return q;
}

std::string LedgerBody(const View& v, const LedgerFilter& f, const v1::ListProblemsReply& page,
                       const std::vector<std::string>& units,
                       const std::vector<v1::InspectionOpened>& inspections) {
  const Lang lang = v.lang;
  std::vector<std::pair<std::string, std::string>> statuses = {{"", T(lang, "(全部)", "(all)")}};
  for (const char* k : kStatusKeys) statuses.emplace_back(k, L(lang, absl::StrCat("status/", k)));
  std::vector<std::pair<std::string, std::string>> colours = {{"", T(lang, "(全部)", "(all)")}};
  for (const char* k : kColourKeys) colours.emplace_back(k, L(lang, absl::StrCat("colour/", k)));
  std::string h = absl::StrCat("<h1>", T(lang, "整改台账", "Ledger"), "</h1>",
                               "<form class=\"filters box\" method=\"get\" action=\"/ledger\">",
                               Select(L(lang, "f/responsible"), "unit", UnitOptions(v, units, true), f.unit),
                               Select(L(lang, "f/status"), "status", statuses, f.status),
                               Input(L(lang, "f/category"), "category", f.category),
                               Select(L(lang, "f/colour"), "colour", colours, f.colour),
                               Select(L(lang, "f/inspection"), "inspection",
                                      InspectionOptions(v, inspections, true), f.inspection),
                               Input(T(lang, "时限不晚于", "due by"), "before", f.before, "date"),
                               Input(T(lang, "关键词", "text"), "q", f.text), "<button>",
                               T(lang, "筛选", "Filter"), "</button></form>");
  const std::string query = f.Query();
  absl::StrAppend(&h, "<p class=\"noprint\">", T(lang, "导出当前筛选结果:", "Export what the filters select: "),
                  "<a href=\"/ledger.xlsx", query.empty() ? "" : "?", query, "\">Excel (.xlsx)</a> · <a href=\"/ledger.csv",
                  query.empty() ? "" : "?", query, "\">CSV</a> · <a href=\"/report?unit=", UrlEncode(f.unit),
                  f.inspection.empty() ? "" : "&inspection=", UrlEncode(f.inspection), "\">",
                  T(lang, "生成整改进展通报", "progress report (通报)"), "</a></p>");
  absl::StrAppend(&h, "<div class=\"box\"><table><tr><th>", T(lang, "问题编号", "id"), "</th><th>",
                  L(lang, "f/responsible"), "</th><th>", L(lang, "f/category"), "</th><th>", L(lang, "f/title"),
                  "</th><th>", L(lang, "f/deadline"), "</th><th>", L(lang, "f/colour"), "</th><th>",
                  L(lang, "f/status"), "</th><th class=\"n\">", L(lang, "f/measures_done"), "</th></tr>");
  for (const v1::ProblemRow& row : page.problems()) {
    const v1::ProblemState& p = row.state();
    int done = 0;
    for (const v1::Measure& m : p.measures()) done += m.done();
    absl::StrAppend(&h, "<tr><td class=\"mono\">", ProblemLink(p.problem_id(), p.problem_id()), "</td><td>",
                    Esc(v.Unit(p.unit())), "</td><td>", Esc(p.category()), "</td><td>",
                    ProblemLink(p.problem_id(), p.title()), "</td><td>", Esc(p.deadline()), "</td><td>",
                    ColourTag(lang, row.colour()), "</td><td>", Esc(L(lang, "status/" + StatusKey(p.status()))),
                    "</td><td class=\"n\">", done, " / ", p.measures_size(), "</td></tr>");
  }
  if (page.problems().empty()) {
    absl::StrAppend(&h, "<tr><td colspan=\"8\">", T(lang, "没有符合条件的问题。", "No problem matches."), "</td></tr>");
  }
  absl::StrAppend(&h, "</table></div><p>");
  if (!f.page.empty()) {
    absl::StrAppend(&h, "<a href=\"/ledger", query.empty() ? "" : "?", query, "\">", T(lang, "« 第一页", "« first page"),
                    "</a> ");
  }
  if (!page.next_page_token().empty()) {
    absl::StrAppend(&h, "<a href=\"/ledger?", query, query.empty() ? "" : "&", "page=",
                    UrlEncode(page.next_page_token()), "\">", T(lang, "下一页 »", "next page »"), "</a>");
  }
  absl::StrAppend(&h, "</p>");
  return h;
}

std::string ImportBody(const View& v, const std::string& file_name, const v1::ImportLedgerReply* r,
                       const std::vector<v1::InspectionOpened>& inspections) {
  const Lang lang = v.lang;
  std::string h = absl::StrCat("<h1>", T(lang, "导入台账", "Import a ledger"), "</h1>");
  if (r) {
    auto issues = [&](const auto& list, const std::string& caption) {
      absl::StrAppend(&h, "<h2>", caption, "</h2><div class=\"box\"><table><tr><th class=\"n\">",
                      r->line_word() == "row" ? T(lang, "行号", "row") : T(lang, "行号", "line"), "</th><th>",
                      T(lang, "列", "column"), "</th><th>", T(lang, "问题", "reason"), "</th></tr>");
      for (const v1::LedgerIssue& i : list) {
        absl::StrAppend(&h, "<tr><td class=\"n\">", i.line() ? absl::StrCat(i.line()) : "-", "</td><td>",
                        Esc(i.column()), "</td><td>", Esc(i.reason()), "</td></tr>");
      }
      absl::StrAppend(&h, "</table></div>");
    };
    absl::StrAppend(&h, "<div class=\"box\" id=\"import-result\"><p><b>", Esc(file_name), "</b> · ",
                    T(lang, "数据行 ", "data rows: "), r->rows(), "</p>");
    if (!r->refusal().empty()) {
      absl::StrAppend(&h, "<p class=\"bad\">", T(lang, "未写入任何记录:", "Nothing was written: "), Esc(r->refusal()),
                      "</p>");
    } else if (r->written()) {
      absl::StrAppend(&h, "<p class=\"ok\">", T(lang, "已导入 ", "Imported "), r->problems(),
                      T(lang, " 个问题、", " problems, "), r->measures(), T(lang, " 条措施,共 ", " measures: "),
                      r->records(), T(lang, " 条签名记录 #", " signed records #"), r->first_seq(), "–#",
                      r->last_seq(), " · <a href=\"/ledger\">", T(lang, "查看台账", "see the ledger"), "</a></p>");
    } else {
      absl::StrAppend(&h, "<p class=\"ok\">", T(lang, "检查通过(试运行,未写入):可导入 ", "Checked (dry run, nothing written): "),
                      r->problems(), T(lang, " 个问题、", " problems, "), r->measures(),
                      T(lang, " 条措施,共 ", " measures, "), r->records(), T(lang, " 条记录。", " records."), "</p>");
    }
    absl::StrAppend(&h, "</div>");
    if (r->errors_size() > 0) issues(r->errors(), T(lang, "错误(须改正后再导入)", "Errors (correct them, then import)"));
    if (r->refused_size() > 0) {
      issues(r->refused(), T(lang, "本级不能自行记录的问题", "Problems this unit may not record itself"));
    }
  }
  absl::StrAppend(
      &h, "<form class=\"stack box\" method=\"post\" action=\"/import\" enctype=\"multipart/form-data\">",
      CsrfField(v.csrf), "<label>", T(lang, "台账文件(.xlsx 或 CSV UTF-8)", "Ledger file (.xlsx or CSV UTF-8)"),
      "<input type=\"file\" name=\"file\" accept=\".xlsx,.csv,text/csv\" required></label>",
      Select(L(lang, "f/inspection"), "inspection_id", InspectionOptions(v, inspections, false)), "<label><input type=\"checkbox\" "
      "name=\"skip_refused\" value=\"1\"> ",
      T(lang, "跳过不能导入的问题,导入其余", "skip the problems that are refused, import the rest"),
      "</label><p><button name=\"mode\" value=\"check\">", T(lang, "先检查(不写入)", "Check first (write nothing)"),
      "</button> <button name=\"mode\" value=\"import\">", T(lang, "导入", "Import"), "</button></p></form>");
  absl::StrAppend(
      &h, "<div class=\"box\"><p>", T(lang, "模板:", "Template: "),
      "<a href=\"/ledger-template.xlsx\">.xlsx</a> · <a href=\"/ledger-template.csv\">CSV</a></p><p>",
      T(lang,
        "每行一条整改措施;同一问题的各行连续,问题各列在后续行可留空(合并单元格)。必填列:问题描述、类别、来源、责任单位、整改状态、整改措施。"
        "整改状态:待整改、整改中、待验收;已验收、已销号须由上级审核,不能导入。来源:巡察、走访、信访、审计、自查。"
        "日期写作 2024-03-01(也接受 2024/3/1、2024年3月1日)。追回资金以元计,最多两位小数。整个文件要么全部导入,要么一条也不写入。",
        "One row per measure (整改措施); a problem's rows follow each other and may leave its columns empty after the "
        "first (merged cells). Required: 问题描述, 类别, 来源, 责任单位, 整改状态, 整改措施. Status: 待整改, 整改中, "
        "待验收 (已验收 and 已销号 need a superior's review and are refused). Source: 巡察 走访 信访 审计 自查. Dates "
        "2024-03-01 (2024/3/1 and 2024年3月1日 too). 追回资金 in yuan, at most two decimals. The whole file is "
        "recorded, or nothing of it."),
      "</p></div>");
  return h;
}

std::string ReportBody(const View& v, const ledger::Bulletin& b, const std::string& query) {
  auto yuan = [](int64_t fen) { return absl::StrFormat("%d.%02d", fen / 100, fen % 100); };
  auto fig = [&](const std::string& key) {
    const ledger::Figure* f = b.Find(key);
    if (!f) return std::string("?");
    return absl::StrCat("<a class=\"fig\" href=\"#ev-", key, "\" title=\"", Esc(f->label), ": ",
                        f->records.size(), T(v.lang, " 条记录", " records"), "\">",
                        f->unit == std::string("元") ? yuan(f->value) : absl::StrCat(f->value), "</a>", f->unit);
  };
  const bool insp = !b.inspection.inspection_id().empty();
  const std::string subject_unit = insp ? b.inspection.inspected_unit() : b.scope_unit;
  auto named = v.names ? v.names->find(subject_unit) : UnitNames::const_iterator();
  const std::string subject =
      v.names && named != v.names->end() && !named->second.empty() ? named->second : subject_unit;
  std::string h = absl::StrCat(
      "<p class=\"noprint\">", T(v.lang, "打印或存为 PDF:浏览器的打印(Ctrl+P),按 A4 排版", "Print or save as PDF with the browser's print (Ctrl+P): laid out for A4"),
      " · <a href=\"/report.txt?", query, "\">", T(v.lang, "纯文本", "plain text"), "</a> · ",
      T(v.lang, "每个数字都链接到据以计算的签名记录。", "Every figure links to the signed records it was counted from."),
      "</p><article class=\"report\"><h1>", Esc(subject), "关于巡察整改进展情况的通报</h1><h2>一、基本情况</h2><p>");
  if (insp) {
    absl::StrAppend(&h, Esc(b.inspection.start_date()), "至", Esc(b.inspection.end_date()), "，",
                    Esc(b.inspection.inspecting_body()), "对", Esc(subject), "开展了巡察",
                    b.inspection.feedback_date().empty() ? "" : absl::StrCat("，", Esc(b.inspection.feedback_date()), "反馈了巡察意见"),
                    "。");
  }
  absl::StrAppend(&h, "共反馈", b.aspects.size(), "方面问题", fig("problems"), "，制定整改措施", fig("measures"), "，已落实",
                  fig("measures_done"), "。截至", Esc(b.today), "，已完成整改", fig("completed"), "，基本完成",
                  fig("basically_completed"), "，长期坚持", fig("long_term"), "，正在整改", fig("in_progress"), "，尚未整改",
                  fig("open"), "；申报整改率<b>", absl::StrFormat("%.1f%%", 100 * b.claimed_rate), "</b>，经上级验收完成",
                  fig("verified"), "，验收整改率<b>", absl::StrFormat("%.1f%%", 100 * b.verified_rate), "</b>。");
  bool outcomes = false;
  for (const char* k : {"funds", "disciplined", "handled", "accountable", "rules"}) outcomes |= b.Find(k)->value != 0;
  if (outcomes) {
    absl::StrAppend(&h, "追回资金", fig("funds"), "，党纪政务处分", fig("disciplined"), "，组织处理", fig("handled"), "，问责",
                    fig("accountable"), "，建章立制", fig("rules"), "。");
  }
  absl::StrAppend(&h, "</p><h2>二、问题整改情况</h2>");
  static const char* kNumbers[] = {"一", "二", "三", "四", "五", "六", "七", "八", "九", "十"};
  int n = 0;
  for (size_t a = 0; a < b.aspects.size(); ++a) {
    absl::StrAppend(&h, "<h3>（", a < 10 ? kNumbers[a] : absl::StrCat(a + 1).c_str(), "）", Esc(b.aspects[a].name),
                    "方面</h3>");
    for (const v1::ProblemDetail* d : b.aspects[a].problems) {
      const v1::ProblemState& s = d->state();
      absl::StrAppend(&h, "<p id=\"p-", Esc(s.problem_id()), "\"><b>", ++n, ". ", Esc(s.title()), "</b>（",
                      Esc(ledger::ProgressWords(s)), "；", Esc(v.Unit(s.unit())), "；<a href=\"/problem?id=",
                      UrlEncode(s.problem_id()), "\">", Esc(s.problem_id()), "</a>）</p>");
      if (s.measures_size() > 0) {
        absl::StrAppend(&h, "<ol class=\"m\">");
        for (const v1::Measure& m : s.measures()) {
          absl::StrAppend(&h, "<li>", Esc(m.text()), m.done() ? " <span class=\"ok\">【已落实】</span>" : " 【未落实】", "</li>");
        }
        absl::StrAppend(&h, "</ol>");
      }
      for (const v1::HistoryEntry& e : d->history()) {
        v1::RecordBody body;
        if (body.ParseFromString(e.record().body()) && body.has_progress_reported() &&
            !body.progress_reported().note().empty() && !body.progress_reported().measure_done()) {
          absl::StrAppend(&h, "<p>进展：", Esc(body.progress_reported().note()), "</p>");
        }
      }
    }
  }
  absl::StrAppend(&h, "<section class=\"ev\"><h2>附：数字依据</h2><p>",
                  T(v.lang, "每个数字下列出据以计算的记录:来源单位#序号、记录哈希、签名是否验证通过(✓)。",
                    "Under each figure, the records it was counted from: origin#seq, record hash, signature verified (✓)."),
                  "</p><table>");
  for (const ledger::Figure& f : b.figures) {
    absl::StrAppend(&h, "<tr id=\"ev-", f.key, "\"><th>", Esc(f.label), " ",
                    f.unit == std::string("元") ? yuan(f.value) : absl::StrCat(f.value), Esc(f.unit), "</th><td>");
    if (f.records.empty()) absl::StrAppend(&h, "无");
    for (size_t k = 0; k < f.records.size(); ++k) {
      const ledger::Evidence& e = f.records[k];
      absl::StrAppend(&h, k ? "、" : "", "<a href=\"/problem?id=", UrlEncode(e.problem_id), "\" title=\"", Esc(e.what), " ",
                      Esc(e.problem_id), "\">", Esc(e.origin), "#", e.seq, "</a> <span class=\"mono\">",
                      absl::BytesToHexString(e.id).substr(0, 12), "</span>", e.verified ? "✓" : "<b class=\"bad\">✗</b>");
    }
    absl::StrAppend(&h, "</td></tr>");
  }
  absl::StrAppend(&h, "</table></section></article>");
  return h;
}

}  // namespace rectsync::console
