#include "node/console/html.h"

#include <time.h>

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"

namespace rectsync::console {
namespace {

// One style sheet for every page: readable at 1366x768 and on a phone
// (tables scroll sideways inside their box), and printable.
constexpr const char* kStyle = R"css(
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 "Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",sans-serif;color:#1c2430;background:#f4f6f9}
header{background:#9b1c1c;color:#fff;padding:.4rem 1rem;display:flex;flex-wrap:wrap;gap:.2rem 1rem;align-items:center}
header a{color:#fff;text-decoration:none}
header .brand{font-weight:700;margin-right:.5rem}
header nav{display:flex;flex-wrap:wrap;gap:.2rem .9rem;flex:1}
header form{display:inline;margin:0}
header button{background:none;border:1px solid #fff8;color:#fff;border-radius:3px;cursor:pointer;font:inherit;padding:0 .4rem}
main{padding:1rem;max-width:1400px;margin:0 auto}
h1{font-size:1.3rem;margin:.2rem 0 .8rem}
h2{font-size:1.1rem;margin:1.2rem 0 .5rem}
.crumbs{font-size:.9rem;margin-bottom:.4rem;color:#556}
.crumbs a{color:#1d4ed8}
.box{background:#fff;border:1px solid #d8dde6;border-radius:6px;padding:.8rem;margin-bottom:1rem;overflow-x:auto}
.cards{display:flex;flex-wrap:wrap;gap:.6rem;margin-bottom:1rem}
.card{background:#fff;border:1px solid #d8dde6;border-radius:6px;padding:.5rem .8rem;min-width:8.5rem}
.card b{display:block;font-size:1.4rem}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{border-bottom:1px solid #e3e7ee;padding:.3rem .45rem;text-align:left;vertical-align:top}
th{background:#eef1f6;white-space:nowrap}
td.n,th.n{text-align:right;white-space:nowrap}
a{color:#1d4ed8}
.red{color:#b91c1c;font-weight:600}.yellow{color:#a16207;font-weight:600}.green{color:#15803d}
.tag{display:inline-block;padding:0 .35rem;border-radius:3px;font-size:.85rem;background:#e5e7eb}
.tag.red{background:#fee2e2}.tag.yellow{background:#fef3c7}.tag.green{background:#dcfce7}
.stale{color:#b91c1c}
.flash{background:#dcfce7;border:1px solid #86efac;padding:.5rem .8rem;border-radius:4px;margin-bottom:.8rem}
.error{background:#fee2e2;border:1px solid #fca5a5;padding:.5rem .8rem;border-radius:4px;margin-bottom:.8rem;white-space:pre-wrap}
form.inline{display:inline}
form.stack label{display:block;margin:.3rem 0}
form.stack input[type=text],form.stack input[type=password],form.stack input[type=date],form.stack input[type=number],form.stack select,form.stack textarea{display:block;width:100%;max-width:36rem;padding:.3rem;font:inherit;border:1px solid #c3cad6;border-radius:3px}
form.filters{display:flex;flex-wrap:wrap;gap:.4rem .8rem;align-items:flex-end}
form.filters label{display:flex;flex-direction:column;font-size:.85rem}
form.filters input,form.filters select{padding:.2rem;font:inherit;border:1px solid #c3cad6;border-radius:3px}
button,input[type=submit]{background:#1d4ed8;color:#fff;border:0;border-radius:4px;padding:.35rem .9rem;font:inherit;cursor:pointer}
button.secondary{background:#64748b}
.actions{display:grid;grid-template-columns:repeat(auto-fill,minmax(19rem,1fr));gap:.8rem}
.actions form{background:#fff;border:1px solid #d8dde6;border-radius:6px;padding:.6rem .8rem}
.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem}
.ok{color:#15803d}.bad{color:#b91c1c;font-weight:700}
.legend span{display:inline-block;margin-right:.8rem;font-size:.85rem}
.legend i{display:inline-block;width:.8rem;height:.8rem;margin-right:.25rem;vertical-align:-1px}
svg text{font-size:12px;fill:#1c2430}
.s-open{fill:#94a3b8;background:#94a3b8}.s-in_progress{fill:#3b82f6;background:#3b82f6}.s-claimed{fill:#f59e0b;background:#f59e0b}
.s-accepted{fill:#10b981;background:#10b981}.s-closed{fill:#065f46;background:#065f46}
.c-red{fill:#dc2626;background:#dc2626}.c-yellow{fill:#eab308;background:#eab308}.c-green{fill:#22c55e;background:#22c55e}
.r-a{fill:#f59e0b;background:#f59e0b}.r-b{fill:#15803d;background:#15803d}
.login{max-width:24rem;margin:3rem auto}
@media (max-width:640px){main{padding:.5rem}th,td{padding:.25rem}header nav{gap:.1rem .6rem}}
.report{max-width:52rem;margin:0 auto;background:#fff;padding:1.5rem 2rem;line-height:1.8;font-size:1.05rem}
.report h1{text-align:center;font-size:1.5rem}.report p{text-indent:2em;margin:.4rem 0}
.report .fig{font-weight:700;text-decoration:none;border-bottom:1px dotted}.report ol.m{margin:.2rem 0 .6rem 2.5rem}
.report .ev{font-size:.85rem;line-height:1.5}.report .ev td{vertical-align:top}
@page{size:A4;margin:20mm 18mm}
@media print{header,.noprint,form{display:none}body{background:#fff}.box{border:0}.report{padding:0;max-width:none;font-size:12pt}.report a{color:#000}.report .ev{font-size:8pt;page-break-before:always}}
)css";

}  // namespace

std::string Esc(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string UrlEncode(absl::string_view text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string Page(const Frame& f, const std::string& body) {
  const Lang lang = f.lang;
  std::string h = absl::StrCat(
      "<!doctype html><html lang=\"", lang == Lang::kZh ? "zh-CN" : "en",
      "\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
      "<title>",
      Esc(f.title), " · rectsync</title><style>", kStyle, "</style></head><body><header>",
      "<span class=\"brand\">rectsync ", T(lang, "整改台账", "ledger"), "</span>");
  if (!f.officer.empty()) {
    absl::StrAppend(&h, "<nav><a href=\"/overview\">", T(lang, "汇总", "Overview"),
                    "</a><a href=\"/ledger\">", T(lang, "台账", "Ledger"), "</a><a href=\"/new\">",
                    T(lang, "新建", "New"), "</a><a href=\"/import\">", T(lang, "导入", "Import"),
                    "</a><a href=\"/report\">", T(lang, "通报", "Report"),
                    "</a><a href=\"/reconcile\">", T(lang, "核对", "Reconcile"),
                    "</a><a href=\"/sync\">", T(lang, "同步", "Sync"), "</a>");
    if (f.admin) absl::StrAppend(&h, "<a href=\"/officers\">", T(lang, "用户", "Officers"), "</a>");
    absl::StrAppend(&h, "</nav><span>", Esc(f.node_name), " ", Esc(f.node_unit), " · ", Esc(f.officer),
                    " (", Esc(f.role), ")</span><form method=\"post\" action=\"/logout\">",
                    CsrfField(f.csrf), "<button>", T(lang, "退出", "Log out"), "</button></form>");
  } else {
    absl::StrAppend(&h, "<nav></nav>");
  }
  // The language switch keeps the page: ?lang= is read and remembered in a cookie.
  std::string target = f.path_and_query.empty() ? "/" : f.path_and_query;
  target += target.find('?') == std::string::npos ? "?" : "&";
  absl::StrAppend(&h, "<a href=\"", Esc(target), "lang=", lang == Lang::kZh ? "en" : "zh", "\">",
                  lang == Lang::kZh ? "English" : "中文", "</a></header><main>");
  if (!f.breadcrumbs.empty()) {
    absl::StrAppend(&h, "<div class=\"crumbs\">");
    for (size_t i = 0; i < f.breadcrumbs.size(); ++i) {
      if (i) absl::StrAppend(&h, " › ");
      const auto& [label, href] = f.breadcrumbs[i];
      if (i + 1 < f.breadcrumbs.size() && !href.empty()) {
        absl::StrAppend(&h, "<a href=\"", Esc(href), "\">", Esc(label), "</a>");
      } else {
        absl::StrAppend(&h, Esc(label));
      }
    }
    absl::StrAppend(&h, "</div>");
  }
  if (!f.flash.empty()) absl::StrAppend(&h, "<div class=\"flash\" role=\"status\">", Esc(f.flash), "</div>");
  if (!f.error.empty()) absl::StrAppend(&h, "<div class=\"error\" role=\"alert\">", Esc(f.error), "</div>");
  absl::StrAppend(&h, body, "</main></body></html>");
  return h;
}

std::string CsrfField(const std::string& csrf) {
  return absl::StrCat("<input type=\"hidden\" name=\"csrf\" value=\"", Esc(csrf), "\">");
}

std::string Input(const std::string& label, const std::string& name, const std::string& value,
                  const std::string& type, bool required) {
  return absl::StrCat("<label>", Esc(label), " <input type=\"", type, "\" name=\"", Esc(name),
                      "\" value=\"", Esc(value), "\"", required ? " required" : "",
                      type == "number" ? " step=\"any\"" : "", "></label>");
}

std::string TextArea(const std::string& label, const std::string& name, const std::string& value) {
  return absl::StrCat("<label>", Esc(label), " <textarea name=\"", Esc(name), "\" rows=\"3\">",
                      Esc(value), "</textarea></label>");
}

std::string Select(const std::string& label, const std::string& name,
                   const std::vector<std::pair<std::string, std::string>>& options,
                   const std::string& selected) {
  std::string h = absl::StrCat("<label>", Esc(label), " <select name=\"", Esc(name), "\">");
  for (const auto& [value, text] : options) {
    absl::StrAppend(&h, "<option value=\"", Esc(value), "\"", value == selected ? " selected" : "",
                    ">", Esc(text), "</option>");
  }
  absl::StrAppend(&h, "</select></label>");
  return h;
}

std::string StackedBars(const std::vector<Bar>& bars) {
  if (bars.empty()) return "";
  int64_t max_total = 1;
  for (const Bar& b : bars) {
    int64_t total = 0;
    for (const Segment& s : b.segments) total += s.count;
    max_total = std::max(max_total, total);
  }
  const int label_w = 180, bar_w = 520, row_h = 22, width = label_w + bar_w + 60;
  const int height = static_cast<int>(bars.size()) * row_h + 4;
  std::string h = absl::StrCat("<svg role=\"img\" viewBox=\"0 0 ", width, " ", height,
                               "\" width=\"100%\" style=\"max-width:", width, "px\">");
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    const int y = static_cast<int>(i) * row_h + 2;
    std::string label = Esc(b.label);
    if (!b.href.empty()) label = absl::StrCat("<a href=\"", Esc(b.href), "\">", label, "</a>");
    absl::StrAppend(&h, "<text x=\"0\" y=\"", y + 15, "\">", label, "</text>");
    double x = label_w;
    int64_t total = 0;
    for (const Segment& s : b.segments) {
      if (s.count <= 0) continue;
      const double w = static_cast<double>(s.count) * bar_w / static_cast<double>(max_total);
      absl::StrAppend(&h, "<rect class=\"", s.css, "\" x=\"", x, "\" y=\"", y + 3, "\" width=\"", w,
                      "\" height=\"", row_h - 6, "\"><title>", Esc(s.label), ": ", s.count,
                      "</title></rect>");
      x += w;
      total += s.count;
    }
    absl::StrAppend(&h, "<text x=\"", x + 4, "\" y=\"", y + 15, "\">", total, "</text>");
  }
  absl::StrAppend(&h, "</svg><div class=\"legend\">");
  for (const Segment& s : bars.front().segments) {
    absl::StrAppend(&h, "<span><i class=\"", s.css, "\"></i>", Esc(s.label), "</span>");
  }
  absl::StrAppend(&h, "</div>");
  return h;
}

std::string RateBars(const std::vector<RatePair>& rows, const std::string& a_label,
                     const std::string& b_label) {
  if (rows.empty()) return "";
  const int label_w = 180, bar_w = 420, row_h = 30, width = label_w + bar_w + 70;
  const int height = static_cast<int>(rows.size()) * row_h + 4;
  std::string h = absl::StrCat("<svg role=\"img\" viewBox=\"0 0 ", width, " ", height,
                               "\" width=\"100%\" style=\"max-width:", width, "px\">");
  for (size_t i = 0; i < rows.size(); ++i) {
    const RatePair& r = rows[i];
    const int y = static_cast<int>(i) * row_h + 2;
    std::string label = Esc(r.label);
    if (!r.href.empty()) label = absl::StrCat("<a href=\"", Esc(r.href), "\">", label, "</a>");
    absl::StrAppend(&h, "<text x=\"0\" y=\"", y + 18, "\">", label, "</text>");
    absl::StrAppend(&h, "<rect class=\"r-a\" x=\"", label_w, "\" y=\"", y + 3, "\" width=\"",
                    r.a * bar_w, "\" height=\"11\"><title>", Esc(a_label), ": ", Percent(r.a),
                    "</title></rect><text x=\"", label_w + r.a * bar_w + 4, "\" y=\"", y + 13, "\">",
                    Percent(r.a), "</text>");
    absl::StrAppend(&h, "<rect class=\"r-b\" x=\"", label_w, "\" y=\"", y + 15, "\" width=\"",
                    r.b * bar_w, "\" height=\"11\"><title>", Esc(b_label), ": ", Percent(r.b),
                    "</title></rect><text x=\"", label_w + r.b * bar_w + 4, "\" y=\"", y + 25, "\">",
                    Percent(r.b), "</text>");
  }
  absl::StrAppend(&h, "</svg><div class=\"legend\"><span><i class=\"r-a\"></i>", Esc(a_label),
                  "</span><span><i class=\"r-b\"></i>", Esc(b_label), "</span></div>");
  return h;
}

std::string Percent(double rate) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", rate * 100);
  return buf;
}

std::string TimeMs(int64_t ms) {
  if (ms <= 0) return "-";
  time_t t = static_cast<time_t>(ms / 1000);
  struct tm tm;
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

}  // namespace rectsync::console
