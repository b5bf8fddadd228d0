// The problem page (its history and the workflow forms an officer may
// use on it) and the new-problem form. The other page bodies are in
// pages.cc and pages_ledger.cc.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "aggregator/fold.h"
#include "aggregator/unit_id.h"
#include "node/cli/render.h"
#include "node/console/page_parts.h"
#include "node/console/pages.h"
#include "node/record/keys.h"

namespace rectsync::console {
namespace {

std::string Short(const std::string& id) { return record::ToHex(id).substr(0, 12); }

std::string Form(const View& v, const std::string& action, const std::string& id,
                 const std::string& title, const std::string& fields, const std::string& button) {
  return absl::StrCat("<form class=\"stack\" method=\"post\" action=\"/act\"><h3>", Esc(title), "</h3>",
                      CsrfField(v.csrf), "<input type=\"hidden\" name=\"action\" value=\"", Esc(action),
                      "\"><input type=\"hidden\" name=\"id\" value=\"", Esc(id), "\">", fields,
                      "<button>", Esc(button), "</button></form>");
}

std::vector<std::pair<std::string, std::string>> SourceOptions(Lang lang) {
  return {{"inspection", L(lang, "source/inspection")}, {"visit", L(lang, "source/visit")},
          {"petition", L(lang, "source/petition")},     {"audit", L(lang, "source/audit")},
          {"self-check", L(lang, "source/self_check")}};
}

std::string OutcomeFields(Lang lang) {
  return absl::StrCat(Input(L(lang, "f/funds"), "funds_yuan", "", "text"),
                      Input(L(lang, "f/disciplined"), "disciplined", "", "number"),
                      Input(L(lang, "f/handled"), "handled", "", "number"),
                      Input(L(lang, "f/accountable"), "accountable", "", "number"),
                      Input(L(lang, "f/rules"), "rules", "", "number"));
}

}  // namespace

std::string ProblemBody(const View& v, const v1::ProblemDetail& d) {
  const Lang lang = v.lang;
  const v1::ProblemState& p = d.state();
  std::string h = absl::StrCat("<h1>", Esc(p.title()), " <span class=\"tag\">",
                               Esc(L(lang, "status/" + StatusKey(p.status()))), "</span> ",
                               ColourTag(lang, d.colour()), "</h1><div class=\"box\"><table>");
  auto row = [&](const std::string& label, const std::string& value_html) {
    absl::StrAppend(&h, "<tr><th>", Esc(label), "</th><td>", value_html, "</td></tr>");
  };
  row(T(lang, "问题编号", "id"), absl::StrCat("<span class=\"mono\">", Esc(p.problem_id()), "</span>"));
  row(L(lang, "f/responsible"), Esc(v.Unit(p.unit())));
  row(L(lang, "f/raiser"), Esc(v.Unit(p.raiser())));
  row(L(lang, "f/inspection"), Esc(p.inspection_id().empty() ? "-" : p.inspection_id()));
  row(L(lang, "f/source"), Esc(L(lang, absl::StrCat("source/", aggregator::SourceKey(p.source())))));
  row(L(lang, "f/category"), Esc(p.category()));
  row(L(lang, "f/deadline"), Esc(p.deadline().empty() ? "-" : p.deadline()));
  row(L(lang, "f/detail"), Esc(p.detail()));
  row(L(lang, "f/reopens"), absl::StrCat(p.reopen_count()));
  const v1::Outcomes& o = p.outcomes();
  row(L(lang, "f/outcomes"),
      Esc(absl::StrCat(L(lang, "f/funds"), " ", cli::Yuan(o.funds_recovered_fen()), " · ", L(lang, "f/disciplined"), " ",
                       o.people_disciplined(), " · ", L(lang, "f/handled"), " ", o.people_handled(), " · ",
                       L(lang, "f/accountable"), " ", o.people_accountable(), " · ", L(lang, "f/rules"), " ",
                       o.rules_made())));
  absl::StrAppend(&h, "</table></div>");

  absl::StrAppend(&h, "<h2>", L(lang, "f/measures"), "</h2><div class=\"box\"><table><tr><th>",
                  T(lang, "措施编号", "measure"), "</th><th>", L(lang, "f/measures"), "</th><th>",
                  T(lang, "措施时限", "deadline"), "</th><th>", L(lang, "f/measures_done"), "</th></tr>");
  for (const v1::Measure& m : p.measures()) {
    absl::StrAppend(&h, "<tr><td class=\"mono\">", Esc(m.measure_id()), "</td><td>", Esc(m.text()), "</td><td>",
                    Esc(m.deadline()), "</td><td>", m.done() ? "<span class=\"ok\">✓ 已落实</span>" : "—",
                    "</td></tr>");
  }
  if (p.measures().empty()) absl::StrAppend(&h, "<tr><td colspan=\"4\">", L(lang, "f/none"), "</td></tr>");
  absl::StrAppend(&h, "</table></div>");

  absl::StrAppend(&h, "<h2>", L(lang, "f/claims"), "</h2><div class=\"box\"><table><tr><th>",
                  T(lang, "类型", "kind"), "</th><th>", T(lang, "审核", "review"), "</th><th>",
                  T(lang, "审核单位", "reviewed by"), "</th><th>", T(lang, "记录", "record"), "</th></tr>");
  const v1::Claim* pending = nullptr;
  for (const v1::Claim& c : p.claims()) {
    if (c.verdict() == v1::VERDICT_PENDING) pending = &c;
    absl::StrAppend(&h, "<tr><td>", Esc(L(lang, absl::StrCat("kind/", aggregator::ClaimKindKey(c.kind())))),
                    "</td><td>", Esc(L(lang, absl::StrCat("verdict/", static_cast<int>(c.verdict())))), "</td><td>",
                    Esc(c.reviewer().empty() ? "-" : v.Unit(c.reviewer())), "</td><td class=\"mono\">",
                    Short(c.record().id()), "</td></tr>");
  }
  if (p.claims().empty()) absl::StrAppend(&h, "<tr><td colspan=\"4\">", L(lang, "f/none"), "</td></tr>");
  absl::StrAppend(&h, "</table></div>");
  if (!p.violations().empty()) {
    absl::StrAppend(&h, "<h2>", L(lang, "f/violations"), "</h2><div class=\"box\"><ul>");
    for (const v1::Violation& x : p.violations()) {
      absl::StrAppend(&h, "<li><span class=\"mono\">", Short(x.record().id()), "</span> ", Esc(x.reason()), "</li>");
    }
    absl::StrAppend(&h, "</ul></div>");
  }

  // The signed history: every record about the problem, each with its check.
  absl::StrAppend(&h, "<h2>", L(lang, "f/history"), "</h2><div class=\"box\"><table><tr><th>#</th><th>",
                  T(lang, "时间", "time"), "</th><th>", L(lang, "f/unit"), "</th><th>", T(lang, "作者", "author"),
                  "</th><th>", T(lang, "记录内容", "record"), "</th><th>", T(lang, "哈希", "hash"), "</th><th>",
                  T(lang, "签名", "signature"), "</th></tr>");
  int n = 0;
  for (const v1::HistoryEntry& e : d.history()) {
    v1::RecordBody body;
    const bool parsed = body.ParseFromString(e.record().body());
    const std::string mark =
        e.signature_valid()
            ? absl::StrCat("<span class=\"ok\" title=\"", Esc(L(lang, "f/signature_ok")), "\">✓ ",
                           T(lang, "已验证", "verified"), "</span>")
            : absl::StrCat("<span class=\"bad\">✗ ", Esc(L(lang, "f/signature_bad")), " ", Esc(e.check_error()),
                           "</span>");
    absl::StrAppend(&h, "<tr><td>", ++n, "</td><td>", parsed ? Esc(cli::StampTime(body.hlc())) : "-", "</td><td>",
                    parsed ? Esc(absl::StrCat(v.Unit(body.origin()), " #", body.seq())) : "-", "</td><td>",
                    parsed ? Esc(body.author()) : "-", "</td><td>",
                    parsed ? Esc(cli::DescribeEvent(lang, body)) : T(lang, "(无法解析)", "(unreadable)"),
                    "</td><td class=\"mono\" title=\"", record::ToHex(e.id()), "\">", Short(e.id()), "</td><td>",
                    mark, "</td></tr>");
  }
  absl::StrAppend(&h, "</table></div>");

  // The actions this officer may take here.
  if (!v.officer) return h;
  const Role role = v.officer->role;
  const bool responsible = p.unit() == v.node_unit;
  const bool above = aggregator::StrictlyBelow(p.unit(), v.node_unit);
  std::string forms;
  if (responsible && CanWrite(role) && p.status() != v1::STATUS_CLOSED) {
    absl::StrAppend(&forms, Form(v, "measure", p.problem_id(), T(lang, "新增整改措施", "Add a measure"),
                                 absl::StrCat(TextArea(L(lang, "f/measures"), "text"),
                                              Input(T(lang, "措施时限", "deadline"), "deadline", "", "date")),
                                 T(lang, "记录措施", "Record measure")));
    std::vector<std::pair<std::string, std::string>> measures = {{"", T(lang, "(问题整体)", "(the problem as a whole)")}};
    for (const v1::Measure& m : p.measures()) {
      if (!m.done()) measures.emplace_back(m.measure_id(), absl::StrCat(m.measure_id(), " ", m.text()));
    }
    absl::StrAppend(
        &forms, Form(v, "progress", p.problem_id(), T(lang, "报告进展", "Report progress"),
                     absl::StrCat(Select(T(lang, "措施", "measure"), "measure_id", measures),
                                  "<label><input type=\"checkbox\" name=\"measure_done\" value=\"on\"> ",
                                  T(lang, "该措施已落实", "this measure is carried out"), "</label>",
                                  TextArea(T(lang, "进展情况", "note"), "note"), OutcomeFields(lang)),
                     T(lang, "记录进展", "Record progress")));
    if (p.status() == v1::STATUS_OPEN || p.status() == v1::STATUS_IN_PROGRESS) {
      absl::StrAppend(&forms, Form(v, "claim", p.problem_id(), T(lang, "申请销号", "Claim completion"),
                                   absl::StrCat(Select(T(lang, "完成情况", "kind"), "kind",
                                                       {{"completed", L(lang, "kind/completed")},
                                                        {"basically-completed", L(lang, "kind/basically_completed")},
                                                        {"long-term", L(lang, "kind/long_term")}}),
                                                TextArea(T(lang, "说明", "note"), "note")),
                                   T(lang, "申请销号", "Claim")));
    }
  }
  if (above && CanReview(role)) {
    if (pending) {
      absl::StrAppend(&forms,
                      Form(v, "review", p.problem_id(), T(lang, "审核销号申请", "Review the claim"),
                           absl::StrCat("<input type=\"hidden\" name=\"claim\" value=\"",
                                        record::ToHex(pending->record().id()), "\">",
                                        Select(T(lang, "审核结论", "verdict"), "verdict",
                                               {{"accept", T(lang, "通过(验收)", "accept")},
                                                {"reject", T(lang, "退回", "send back")}}),
                                        TextArea(T(lang, "审核意见", "note"), "note")),
                           T(lang, "提交审核", "Submit review")));
    }
    if (p.status() == v1::STATUS_ACCEPTED) {
      absl::StrAppend(&forms, Form(v, "close", p.problem_id(), T(lang, "销号", "Close"),
                                   TextArea(T(lang, "说明", "note"), "note"), T(lang, "销号", "Close")));
    }
    if (p.status() == v1::STATUS_ACCEPTED || p.status() == v1::STATUS_CLOSED) {
      absl::StrAppend(&forms, Form(v, "reopen", p.problem_id(), T(lang, "回头看:重新打开", "Reopen (回头看)"),
                                   TextArea(T(lang, "原因", "reason"), "reason"), T(lang, "重新打开", "Reopen")));
    }
    absl::StrAppend(&forms, Form(v, "amend", p.problem_id(), T(lang, "调整整改时限", "Change the deadline"),
                                 absl::StrCat(Input(L(lang, "f/deadline"), "deadline", p.deadline(), "date"),
                                              TextArea(T(lang, "原因", "reason"), "reason")),
                                 T(lang, "记录调整", "Record change")));
  }
  if (!forms.empty()) absl::StrAppend(&h, "<h2>", T(lang, "办理", "Actions"), "</h2><div class=\"actions\">", forms, "</div>");
  return h;
}

std::string NewBody(const View& v, const std::vector<std::string>& units,
                    const std::vector<v1::InspectionOpened>& inspections) {
  const Lang lang = v.lang;
  std::string h = absl::StrCat("<h1>", T(lang, "新建", "New"), "</h1><div class=\"actions\">");
  absl::StrAppend(
      &h, "<form class=\"stack\" method=\"post\" action=\"/new\"><h3>", T(lang, "新建问题", "New problem"), "</h3>",
      CsrfField(v.csrf), "<input type=\"hidden\" name=\"action\" value=\"problem\">",
      Select(L(lang, "f/responsible"), "unit", UnitOptions(v, units, false), v.node_unit),
      Select(L(lang, "f/inspection"), "inspection_id", InspectionOptions(v, inspections, false)),
      Select(L(lang, "f/source"), "source", SourceOptions(lang)), Input(L(lang, "f/category"), "category", "", "text", true),
      Input(L(lang, "f/title"), "title", "", "text", true), TextArea(L(lang, "f/detail"), "detail"),
      Input(L(lang, "f/deadline"), "deadline", "", "date"), "<button>", T(lang, "记录问题", "Record problem"),
      "</button></form>");
  absl::StrAppend(
      &h, "<form class=\"stack\" method=\"post\" action=\"/new\"><h3>", T(lang, "新建巡察", "New inspection"), "</h3>",
      CsrfField(v.csrf), "<input type=\"hidden\" name=\"action\" value=\"inspection\">",
      Input(T(lang, "巡察组", "inspecting body"), "inspecting_body", "", "text", true),
      Select(T(lang, "被巡察单位", "inspected unit"), "inspected_unit", UnitOptions(v, units, false), v.node_unit),
      Input(T(lang, "开始日期", "start"), "start_date", "", "date"), Input(T(lang, "结束日期", "end"), "end_date", "", "date"),
      Input(T(lang, "反馈日期", "feedback"), "feedback_date", "", "date"), "<button>",
      T(lang, "记录巡察", "Record inspection"), "</button></form></div>");
  return h;
}

}  // namespace rectsync::console
