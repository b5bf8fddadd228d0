#include "node/console/pages.h"

#include "node/console/page_parts.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "aggregator/fold.h"
#include "aggregator/unit_id.h"
#include "node/cli/render.h"
#include "node/record/keys.h"

namespace rectsync::console {
namespace {

int64_t Get(const google::protobuf::Map<std::string, int64_t>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? 0 : it->second;
}

std::string Card(const std::string& label, const std::string& value, const std::string& css = "") {
  return absl::StrCat("<div class=\"card\"><span class=\"", css, "\">", Esc(label), "</span><b>", Esc(value),
                      "</b></div>");
}

const v1::LinkStatus* ChildLink(const v1::SyncStatusReply& sync, const std::string& peer) {
  for (const v1::LinkStatus& l : sync.links()) {
    if (l.direction() == "child" && l.peer() == peer) return &l;
  }
  return nullptr;
}

}  // namespace

std::string StatusKey(v1::Status s) {
  switch (s) {
    case v1::STATUS_OPEN: return "open";
    case v1::STATUS_IN_PROGRESS: return "in_progress";
    case v1::STATUS_CLAIMED: return "claimed";
    case v1::STATUS_ACCEPTED: return "accepted";
    case v1::STATUS_CLOSED: return "closed";
    default: return "";
  }
}

std::string ColourTag(Lang lang, const std::string& colour) {
  if (colour.empty()) return "-";
  return absl::StrCat("<span class=\"tag ", Esc(colour), "\">", Esc(L(lang, "colour/" + colour)), "</span>");
}

std::vector<std::pair<std::string, std::string>> UnitOptions(const View& v,
                                                            const std::vector<std::string>& units,
                                                            bool any) {
  std::vector<std::pair<std::string, std::string>> out;
  if (any) out.emplace_back("", T(v.lang, "(全部)", "(all)"));
  for (const std::string& u : units) out.emplace_back(u, v.Unit(u));
  return out;
}

std::vector<std::pair<std::string, std::string>> InspectionOptions(
    const View& v, const std::vector<v1::InspectionOpened>& inspections, bool any) {
  std::vector<std::pair<std::string, std::string>> out;
  out.emplace_back("", any ? T(v.lang, "(全部)", "(all)") : T(v.lang, "(无)", "(none)"));
  for (const v1::InspectionOpened& i : inspections) {
    out.emplace_back(i.inspection_id(), absl::StrCat(i.inspecting_body(), " → ", v.Unit(i.inspected_unit()),
                                                     " ", i.start_date()));
  }
  return out;
}

std::string View::Unit(const std::string& unit) const {
  std::string code = unit.substr(unit.rfind('/') == std::string::npos ? 0 : unit.rfind('/') + 1);
  if (names) {
    auto it = names->find(unit);
    if (it != names->end() && !it->second.empty()) return absl::StrCat(it->second, " ", code);
  }
  return unit;
}

std::string LoginBody(Lang lang, const std::string& csrf, const std::string& next,
                      const std::string& name) {
  return absl::StrCat("<div class=\"login box\"><h1>", T(lang, "登录", "Log in"),
                      "</h1><form class=\"stack\" method=\"post\" action=\"/login\">", CsrfField(csrf),
                      "<input type=\"hidden\" name=\"next\" value=\"", Esc(next), "\">",
                      Input(T(lang, "用户名", "Officer name"), "name", name, "text", true),
                      Input(T(lang, "密码", "Password"), "password", "", "password", true), "<button>",
                      T(lang, "登录", "Log in"), "</button></form><p>",
                      T(lang, "账户由本节点管理员用 <code>rectsync user add</code> 建立。",
                        "Accounts are made by this node's administrator with <code>rectsync user add</code>."),
                      "</p></div>");
}

std::string OverviewBody(const View& v, const v1::Summary& s, const v1::SyncStatusReply& sync) {
  const Lang lang = v.lang;
  std::string h = absl::StrCat("<h1>", T(lang, "汇总 · ", "Overview · "), Esc(v.Unit(s.unit())), "</h1>");
  absl::StrAppend(&h, "<p>", T(lang, "截至 ", "As of "), Esc(TimeMs(s.as_of_ms())), T(lang, ",由 ", ", answered by "),
                  Esc(v.Unit(s.answered_by())), T(lang, " 计算;时限预警按 ", "; deadline colours for "), Esc(s.today()),
                  " · <a href=\"/ledger?unit=", UrlEncode(s.unit()), "\">", T(lang, "查看台账", "see the ledger"),
                  "</a> · <a href=\"/reconcile?unit=", UrlEncode(s.unit()), "\">",
                  T(lang, "核对上报数", "reconcile reported figures"), "</a></p>");
  absl::StrAppend(&h, "<div class=\"cards\">", Card(L(lang, "f/problems"), absl::StrCat(s.problems())));
  for (const char* k : kStatusKeys) {
    absl::StrAppend(&h, Card(L(lang, absl::StrCat("status/", k)), absl::StrCat(Get(s.by_status(), k))));
  }
  for (const char* k : kColourKeys) {
    absl::StrAppend(&h, Card(L(lang, absl::StrCat("colour/", k)), absl::StrCat(Get(s.by_colour(), k)), k));
  }
  absl::StrAppend(&h, Card(L(lang, "f/claimed_rate"), Percent(s.claimed_rate())),
                  Card(L(lang, "f/verified_rate"), Percent(s.verified_rate())),
                  Card(L(lang, "f/gap"), Percent(s.rate_gap()), s.rate_gap() > 0 ? "yellow" : ""),
                  Card(L(lang, "f/measures_done"), absl::StrCat(s.measures_done(), " / ", s.measures())),
                  "</div>");
  if (s.children().empty()) {
    absl::StrAppend(&h, "<p>", T(lang, "下级单位暂无数据。", "No data from units below yet."), "</p>");
    return h;
  }
  absl::StrAppend(&h, "<h2>", L(lang, "f/children"), "</h2><div class=\"box\"><table><tr><th>", L(lang, "f/unit"),
                  "</th><th class=\"n\">", L(lang, "f/problems"), "</th>");
  for (const char* k : kStatusKeys) absl::StrAppend(&h, "<th class=\"n\">", L(lang, absl::StrCat("status/", k)), "</th>");
  for (const char* k : kColourKeys) absl::StrAppend(&h, "<th class=\"n\">", L(lang, absl::StrCat("colour/", k)), "</th>");
  absl::StrAppend(&h, "<th class=\"n\">", L(lang, "f/claimed_rate"), "</th><th class=\"n\">", L(lang, "f/verified_rate"),
                  "</th><th class=\"n\">", L(lang, "f/gap"), "</th><th>", T(lang, "最近联系", "last contact"),
                  "</th></tr>");
  std::vector<Bar> status_bars, colour_bars;
  std::vector<RatePair> rates;
  for (const v1::Summary& c : s.children()) {
    const std::string href = absl::StrCat("/overview?unit=", UrlEncode(c.unit()));
    absl::StrAppend(&h, "<tr><td><a href=\"", href, "\">", Esc(v.Unit(c.unit())), "</a></td><td class=\"n\">",
                    c.problems(), "</td>");
    Bar sb{v.Unit(c.unit()), href, {}}, cb{v.Unit(c.unit()), href, {}};
    for (const char* k : kStatusKeys) {
      absl::StrAppend(&h, "<td class=\"n\">", Get(c.by_status(), k), "</td>");
      sb.segments.push_back({Get(c.by_status(), k), absl::StrCat("s-", k), L(lang, absl::StrCat("status/", k))});
    }
    for (const char* k : kColourKeys) {
      absl::StrAppend(&h, "<td class=\"n ", k, "\">", Get(c.by_colour(), k), "</td>");
      cb.segments.push_back({Get(c.by_colour(), k), absl::StrCat("c-", k), L(lang, absl::StrCat("colour/", k))});
    }
    // Staleness of the link that carries this child's data to this node.
    const std::string peer = aggregator::ChildToward(c.unit(), v.node_unit);
    const v1::LinkStatus* link = ChildLink(sync, peer);
    std::string contact = "-";
    if (link) {
      const bool stale = link->last_contact_ms() == 0 || v.now_ms - link->last_contact_ms() > v.stale_after_ms;
      contact = absl::StrCat(stale ? "<span class=\"stale\" title=\"stale\">⚠ " : "<span>",
                             Esc(TimeMs(link->last_contact_ms())), stale ? T(lang, " (数据可能过时)", " (stale)") : "",
                             "</span>");
    }
    absl::StrAppend(&h, "<td class=\"n\">", Percent(c.claimed_rate()), "</td><td class=\"n\">",
                    Percent(c.verified_rate()), "</td><td class=\"n\">", Percent(c.claimed_rate() - c.verified_rate()),
                    "</td><td>", contact, "</td></tr>");
    status_bars.push_back(std::move(sb));
    colour_bars.push_back(std::move(cb));
    rates.push_back({v.Unit(c.unit()), href, c.claimed_rate(), c.verified_rate()});
  }
  absl::StrAppend(&h, "</table></div><h2>", L(lang, "f/by_status"), "</h2><div class=\"box\">",
                  StackedBars(status_bars), "</div><h2>", T(lang, "三色预警", "Deadline colours"),
                  "</h2><div class=\"box\">", StackedBars(colour_bars), "</div><h2>",
                  T(lang, "整改率:自报与核验", "Completion rate: claimed and verified"), "</h2><div class=\"box\">",
                  RateBars(rates, L(lang, "f/claimed_rate"), L(lang, "f/verified_rate")), "</div>");
  return h;
}

std::string SyncBody(const View& v, const v1::SyncStatusReply& s) {
  const Lang lang = v.lang;
  std::string h = absl::StrCat("<h1>", T(lang, "同步状态", "Sync"), "</h1>");
  if (!s.write_fault().empty()) {
    absl::StrAppend(&h, "<div class=\"error\" role=\"alert\">", T(lang, "存储拒绝写入:", "Writes refused: "),
                    Esc(s.write_fault()), "</div>");
  }
  absl::StrAppend(&h, "<div class=\"box\"><table><tr><th>",
                  T(lang, "方向", "direction"), "</th><th>", L(lang, "f/unit"), "</th><th>",
                  T(lang, "地址", "address"), "</th><th>", T(lang, "最近联系", "last contact"), "</th><th>",
                  T(lang, "最近成功", "last success"), "</th><th class=\"n\">", T(lang, "已发送", "sent"),
                  "</th><th class=\"n\">", T(lang, "已接收", "received"), "</th><th class=\"n\">",
                  T(lang, "待确认", "pending"), "</th><th class=\"n\">", T(lang, "滞后", "lag"),
                  "</th><th class=\"n\">", T(lang, "拒收", "refusals"), "</th><th>",
                  T(lang, "最近错误", "last error"), "</th></tr>");
  for (const v1::LinkStatus& l : s.links()) {
    const bool stale = l.last_contact_ms() == 0 || v.now_ms - l.last_contact_ms() > v.stale_after_ms;
    absl::StrAppend(&h, "<tr><td>", l.direction() == "parent" ? T(lang, "上级", "parent") : T(lang, "下级", "child"),
                    "</td><td>", Esc(v.Unit(l.peer())), "</td><td class=\"mono\">", Esc(l.address()), "</td><td",
                    stale ? " class=\"stale\"" : "", ">", Esc(TimeMs(l.last_contact_ms())), "</td><td>",
                    Esc(TimeMs(l.last_success_ms())), "</td><td class=\"n\">", l.records_sent(), "</td><td class=\"n\">",
                    l.records_received(), "</td><td class=\"n\">", l.pending(), "</td><td class=\"n\">",
                    l.lag_ms() > 0 ? absl::StrCat(l.lag_ms() / 1000, " s") : "-", "</td><td class=\"n\">", l.refusals(),
                    "</td><td>", Esc(l.last_error().empty() ? l.last_refusal() : l.last_error()), "</td></tr>");
  }
  if (s.links().empty()) absl::StrAppend(&h, "<tr><td colspan=\"11\">", L(lang, "f/none"), "</td></tr>");
  absl::StrAppend(&h, "</table></div><h2>", T(lang, "分叉(同一序号两条不同记录)", "Forks (two records at one seq)"),
                  "</h2><div class=\"box\"><table><tr><th>", T(lang, "来源单位", "origin"), "</th><th class=\"n\">seq</th><th>",
                  T(lang, "保留的记录", "record kept"), "</th><th>", T(lang, "冲突记录(证据)", "conflicting record (proof)"),
                  "</th></tr>");
  for (const v1::ForkInfo& f : s.forks()) {
    absl::StrAppend(&h, "<tr><td>", Esc(v.Unit(f.origin())), "</td><td class=\"n\">", f.seq(), "</td><td class=\"mono\">",
                    record::ToHex(f.held_id()), "</td><td class=\"mono\">", record::ToHex(f.other_id()), "</td></tr>");
  }
  if (s.forks().empty()) absl::StrAppend(&h, "<tr><td colspan=\"4\">", L(lang, "f/none"), "</td></tr>");
  absl::StrAppend(&h, "</table></div><p>", T(lang, "时间戳超前的记录:", "Records stamped too far ahead: "),
                  s.skewed_records(), "</p>");
  return h;
}

std::string ReconcileBody(const View& v, const v1::ReconcileReply& r) {
  const Lang lang = v.lang;
  std::string h = absl::StrCat("<h1>", T(lang, "核对 · ", "Reconciliation · "), Esc(v.Unit(r.unit())), "</h1><p>",
                               T(lang, "已核对汇总证明 ", "Attestations checked: "), r.attestations_checked(),
                               T(lang, ",上报指标 ", "; figures checked: "), r.figures_checked(), "</p>");
  if (r.differences().empty()) {
    absl::StrAppend(&h, "<div class=\"flash\">", T(lang, "上报数与台账一致。", "Reported figures agree with the ledger."),
                    "</div>");
    return h;
  }
  absl::StrAppend(&h, "<div class=\"box\"><table><tr><th>", T(lang, "差异", "difference"), "</th><th>", L(lang, "f/unit"),
                  "</th><th>", T(lang, "指标", "key"), "</th><th class=\"n\">", T(lang, "上报", "stated"),
                  "</th><th class=\"n\">", T(lang, "台账", "recorded"), "</th><th>", T(lang, "说明", "detail"), "</th><th>",
                  T(lang, "相关记录", "records behind it"), "</th></tr>");
  for (const v1::Difference& d : r.differences()) {
    std::string records;
    for (const std::string& rec : d.records()) absl::StrAppend(&records, "<div class=\"mono\">", Esc(rec), "</div>");
    absl::StrAppend(&h, "<tr><td>", Esc(d.kind()), "</td><td>", Esc(v.Unit(d.unit())), "</td><td>", Esc(d.key()),
                    "</td><td class=\"n\">", d.stated(), "</td><td class=\"n\">", d.recorded(), "</td><td>",
                    Esc(d.detail()), "</td><td>", records, "</td></tr>");
  }
  absl::StrAppend(&h, "</table></div>");
  return h;
}

std::string OfficersBody(const View& v, const std::vector<Officer>& officers) {
  const Lang lang = v.lang;
  std::vector<std::pair<std::string, std::string>> roles;
  for (Role r : {Role::kViewer, Role::kClerk, Role::kReviewer, Role::kAdmin}) roles.emplace_back(RoleName(r), RoleName(r));
  std::string h = absl::StrCat("<h1>", T(lang, "用户(本节点)", "Officers of this node"), "</h1><div class=\"box\"><table><tr><th>",
                               T(lang, "用户名", "name"), "</th><th>", T(lang, "姓名", "display name"), "</th><th>",
                               T(lang, "角色", "role"), "</th><th>", T(lang, "状态", "state"), "</th><th>",
                               T(lang, "修改", "change"), "</th></tr>");
  for (const Officer& o : officers) {
    const std::string base = absl::StrCat("<form class=\"inline\" method=\"post\" action=\"/officers\">", CsrfField(v.csrf),
                                          "<input type=\"hidden\" name=\"name\" value=\"", Esc(o.name), "\">");
    absl::StrAppend(&h, "<tr><td class=\"mono\">", Esc(o.name), "</td><td>", Esc(o.display), "</td><td>", RoleName(o.role),
                    "</td><td>", o.disabled ? T(lang, "已停用", "disabled") : T(lang, "启用", "enabled"), "</td><td>",
                    base, "<input type=\"hidden\" name=\"op\" value=\"role\"><select name=\"role\">");
    for (const auto& [value, text] : roles) {
      absl::StrAppend(&h, "<option", value == RoleName(o.role) ? " selected" : "", ">", value, "</option>");
    }
    absl::StrAppend(&h, "</select> <button>", T(lang, "改角色", "set role"), "</button></form> ", base,
                    "<input type=\"hidden\" name=\"op\" value=\"", o.disabled ? "enable" : "disable", "\"><button class=\"secondary\">",
                    o.disabled ? T(lang, "启用", "enable") : T(lang, "停用", "disable"), "</button></form> ", base,
                    "<input type=\"hidden\" name=\"op\" value=\"passwd\"><input type=\"password\" name=\"password\" placeholder=\"",
                    T(lang, "新密码", "new password"), "\"> <button class=\"secondary\">", T(lang, "重设密码", "reset password"),
                    "</button></form></td></tr>");
  }
  absl::StrAppend(&h, "</table></div><form class=\"stack box\" method=\"post\" action=\"/officers\"><h3>",
                  T(lang, "新增用户", "Add an officer"), "</h3>", CsrfField(v.csrf),
                  "<input type=\"hidden\" name=\"op\" value=\"add\">", Input(T(lang, "用户名", "name"), "name", "", "text", true),
                  Input(T(lang, "姓名", "display name"), "display"), Select(T(lang, "角色", "role"), "role", roles, "clerk"),
                  Input(T(lang, "初始密码(至少8位)", "password (8 or more)"), "password", "", "password", true), "<button>",
                  T(lang, "新增", "Add"), "</button></form>");
  return h;
}

}  // namespace rectsync::console
