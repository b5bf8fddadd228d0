// HTML building blocks of the console: escaping, the page frame (one inline
// style sheet, no scripts, nothing fetched from outside), form fields and
// inline SVG charts. Pure functions of their arguments.
#ifndef RECTSYNC_NODE_CONSOLE_HTML_H_
#define RECTSYNC_NODE_CONSOLE_HTML_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "node/cli/labels.h"

namespace rectsync::console {

using cli::Lang;

// Text escaped for element content and double-quoted attributes.
std::string Esc(absl::string_view text);
// A query-string component, percent-encoded.
std::string UrlEncode(absl::string_view text);

// What the frame shows around a page body.
struct Frame {
  Lang lang = Lang::kZh;
  std::string title;
  std::string node_unit;       // this node's unit id
  std::string node_name;       // its name
  std::string officer;         // "" before login
  std::string role;
  std::string csrf;            // for the logout form
  bool admin = false;          // shows the officers page link
  std::string path_and_query;  // for the language switch
  std::vector<std::pair<std::string, std::string>> breadcrumbs;  // (label, href); last unlinked
  std::string flash;           // a notice (green) above the body
  std::string error;           // a refusal (red) above the body
};

std::string Page(const Frame& frame, const std::string& body);

// "zh" / "en" labels: the shared table (node/cli/labels.cc).
inline std::string L(Lang lang, const std::string& key) { return cli::Label(lang, key); }
// The one of two strings for `lang`.
inline const char* T(Lang lang, const char* zh, const char* en) { return lang == Lang::kZh ? zh : en; }

// <input type=hidden name=csrf>.
std::string CsrfField(const std::string& csrf);
// A labelled form field: <label>label <input name=name ...></label>.
std::string Input(const std::string& label, const std::string& name, const std::string& value = "",
                  const std::string& type = "text", bool required = false);
std::string TextArea(const std::string& label, const std::string& name, const std::string& value = "");
// A <select> with (value, label) options, `selected` chosen.
std::string Select(const std::string& label, const std::string& name,
                   const std::vector<std::pair<std::string, std::string>>& options,
                   const std::string& selected = "");

// One bar of a stacked chart: segments of (count, css class, label).
struct Segment {
  int64_t count = 0;
  std::string css;
  std::string label;
};
struct Bar {
  std::string label;
  std::string href;  // "" = not a link
  std::vector<Segment> segments;
};
// Horizontal stacked bars, each scaled to the largest total, with a legend.
std::string StackedBars(const std::vector<Bar>& bars);
// Paired bars of two rates (0..1) per row, e.g. claimed vs verified 整改率.
struct RatePair {
  std::string label;
  std::string href;
  double a = 0;
  double b = 0;
};
std::string RateBars(const std::vector<RatePair>& rows, const std::string& a_label,
                     const std::string& b_label);

// "87.5%".
std::string Percent(double rate);
// Local "YYYY-MM-DD HH:MM" of unix ms; "-" for 0.
std::string TimeMs(int64_t ms);

}  // namespace rectsync::console

#endif  // RECTSYNC_NODE_CONSOLE_HTML_H_
