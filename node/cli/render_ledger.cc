#include "node/cli/render_ledger.h"

#include "absl/strings/str_cat.h"
#include "node/ledger/table.h"
#include "node/record/codec.h"

namespace rectsync::cli {

std::string LedgerIssueText(const std::string& line_word, const v1::LedgerIssue& i) {
  return ledger::LedgerIssue{static_cast<int>(i.line()), i.column(), i.reason()}.ToString(line_word);
}

nlohmann::json BulletinJson(const ledger::Bulletin& b) {
  nlohmann::json figures = nlohmann::json::array();
  for (const ledger::Figure& f : b.figures) {
    nlohmann::json recs = nlohmann::json::array();
    for (const ledger::Evidence& e : f.records) {
      recs.push_back({{"problem_id", e.problem_id}, {"origin", e.origin}, {"seq", e.seq},
                      {"id", record::ToHex(e.id)}, {"verified", e.verified}, {"what", e.what}});
    }
    figures.push_back({{"key", f.key}, {"label", f.label}, {"value", f.value}, {"unit", f.unit}, {"records", recs}});
  }
  nlohmann::json aspects = nlohmann::json::array();
  for (const auto& a : b.aspects) {
    nlohmann::json ids = nlohmann::json::array();
    for (const v1::ProblemDetail* d : a.problems) ids.push_back(d->state().problem_id());
    aspects.push_back({{"name", a.name}, {"problems", ids}});
  }
  return {{"unit", b.scope_unit},      {"inspection_id", b.inspection.inspection_id()},
          {"today", b.today},          {"claimed_rate", b.claimed_rate},
          {"verified_rate", b.verified_rate}, {"figures", figures}, {"aspects", aspects}};
}

nlohmann::json ImportJson(const std::string& file, bool dry_run, const v1::ImportLedgerReply& r) {
  auto listing = [](const auto& issues) {
    nlohmann::json arr = nlohmann::json::array();
    for (const v1::LedgerIssue& i : issues) {
      arr.push_back({{"line", i.line()}, {"column", i.column()}, {"reason", i.reason()}});
    }
    return arr;
  };
  nlohmann::json j{{"file", file},
                   {"line_word", r.line_word()},
                   {"dry_run", dry_run},
                   {"errors", listing(r.errors())},
                   {"refused", listing(r.refused())},
                   {"rows", r.rows()}};
  if (!r.refusal().empty()) {
    j["refusal"] = r.refusal();
    return j;
  }
  j["problems"] = r.problems();
  j["measures"] = r.measures();
  j["records"] = r.records();
  if (r.written()) {
    j["first_seq"] = r.first_seq();
    j["last_seq"] = r.last_seq();
  }
  return j;
}

std::string RenderImportIssues(Lang lang, const std::string& file, const v1::ImportLedgerReply& r) {
  std::string out;
  for (const v1::LedgerIssue& e : r.errors()) absl::StrAppend(&out, file, ": ", LedgerIssueText(r.line_word(), e), "\n");
  for (const v1::LedgerIssue& e : r.refused()) {
    absl::StrAppend(&out, file, ": ", lang == Lang::kZh ? "不予导入: " : "refused: ",
                    LedgerIssueText(r.line_word(), e), "\n");
  }
  return out;
}

}  // namespace rectsync::cli
