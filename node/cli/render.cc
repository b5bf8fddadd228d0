#include "node/cli/render.h"

#include <ctime>
#include <iomanip>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "aggregator/fold.h"
#include "node/record/codec.h"

namespace rectsync::cli {
namespace {

using nlohmann::json;
using record::ToHex;

std::string Short(const std::string& id) { return ToHex(id).substr(0, 12); }

json OutcomesJson(const v1::Outcomes& o) {
  return json{{"funds_recovered_fen", o.funds_recovered_fen()},
              {"people_disciplined", o.people_disciplined()},
              {"people_handled", o.people_handled()},
              {"people_accountable", o.people_accountable()},
              {"rules_made", o.rules_made()}};
}

json MapJson(const google::protobuf::Map<std::string, int64_t>& m) {
  json j = json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

int64_t Get(const google::protobuf::Map<std::string, int64_t>& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? 0 : it->second;
}

std::string Percent(double r) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << r * 100 << "%";
  return out.str();
}

void Line(std::ostringstream& out, Lang lang, const std::string& key, const std::string& value) {
  out << "  " << Label(lang, key) << ": " << value << "\n";
}

// "label n | label n" over a counter map, in the map's order.
std::string Counts(Lang lang, const std::string& prefix,
                   const google::protobuf::Map<std::string, int64_t>& m,
                   std::initializer_list<const char*> order = {}) {
  std::vector<std::string> parts;
  std::map<std::string, int64_t> sorted(m.begin(), m.end());
  for (const char* k : order) {
    auto it = sorted.find(k);
    parts.push_back(absl::StrCat(Label(lang, prefix + k), " ", it == sorted.end() ? 0 : it->second));
    if (it != sorted.end()) sorted.erase(it);
  }
  for (const auto& [k, v] : sorted) parts.push_back(absl::StrCat(Label(lang, prefix + k), " ", v));
  if (parts.empty()) return Label(lang, "f/none");
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) absl::StrAppend(&out, i ? " | " : "", parts[i]);
  return out;
}

std::string OutcomeLine(Lang lang, const v1::Outcomes& o) {
  return absl::StrCat(Label(lang, "f/funds"), " ", Yuan(o.funds_recovered_fen()), " | ",
                      Label(lang, "f/disciplined"), " ", o.people_disciplined(), " | ",
                      Label(lang, "f/handled"), " ", o.people_handled(), " | ",
                      Label(lang, "f/accountable"), " ", o.people_accountable(), " | ",
                      Label(lang, "f/rules"), " ", o.rules_made());
}

}  // namespace

std::string Yuan(int64_t fen) {
  std::ostringstream out;
  out << (fen < 0 ? "-" : "") << (std::abs(fen) / 100) << "." << std::setw(2) << std::setfill('0')
      << (std::abs(fen) % 100);
  return out.str();
}

std::string StampTime(uint64_t hlc) {
  std::time_t t = static_cast<std::time_t>(record::HlcMillis(hlc) / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

json ProblemJson(const v1::ProblemState& s, const std::string& colour) {
  json measures = json::array();
  for (const auto& m : s.measures()) {
    measures.push_back(
        {{"measure_id", m.measure_id()}, {"text", m.text()}, {"deadline", m.deadline()}, {"done", m.done()}});
  }
  json claims = json::array();
  for (const auto& c : s.claims()) {
    claims.push_back({{"record_id", ToHex(c.record().id())},
                      {"kind", aggregator::ClaimKindKey(c.kind())},
                      {"verdict", c.verdict() == v1::VERDICT_PENDING    ? "pending"
                                  : c.verdict() == v1::VERDICT_ACCEPTED ? "accepted"
                                                                        : "rejected"},
                      {"reviewer", c.reviewer()},
                      {"review_id", ToHex(c.review_id())}});
  }
  json violations = json::array();
  for (const auto& v : s.violations()) {
    violations.push_back({{"record_id", ToHex(v.record().id())},
                          {"origin", v.record().key().origin()},
                          {"seq", v.record().key().seq()},
                          {"reason", v.reason()}});
  }
  return json{{"problem_id", s.problem_id()},
              {"unit", s.unit()},
              {"raiser", s.raiser()},
              {"inspection_id", s.inspection_id()},
              {"source", aggregator::SourceKey(s.source())},
              {"category", s.category()},
              {"title", s.title()},
              {"detail", s.detail()},
              {"deadline", s.deadline()},
              {"status", aggregator::StatusKey(s.status())},
              {"colour", colour},
              {"measures", measures},
              {"claims", claims},
              {"outcomes", OutcomesJson(s.outcomes())},
              {"progress_reports", s.progress_reports()},
              {"reopen_count", s.reopen_count()},
              {"violations", violations}};
}

json DetailJson(const v1::ProblemDetail& d) {
  json j = ProblemJson(d.state(), d.colour());
  json history = json::array();
  for (const auto& h : d.history()) {
    v1::RecordBody body;
    body.ParseFromString(h.record().body());
    history.push_back({{"record_id", ToHex(h.id())},
                       {"origin", body.origin()},
                       {"seq", body.seq()},
                       {"hlc", body.hlc()},
                       {"time", StampTime(body.hlc())},
                       {"author", body.author()},
                       {"event", aggregator::EventName(body)},
                       {"description", DescribeEvent(Lang::kEn, body)},
                       {"signature_valid", h.signature_valid()},
                       {"check_error", h.check_error()}});
  }
  j["history"] = history;
  return j;
}

json SummaryJson(const v1::Summary& s) {
  json j{{"unit", s.unit()},
         {"today", s.today()},
         {"problems", s.problems()},
         {"by_status", MapJson(s.by_status())},
         {"by_category", MapJson(s.by_category())},
         {"by_source", MapJson(s.by_source())},
         {"by_colour", MapJson(s.by_colour())},
         {"by_claim_kind", MapJson(s.by_claim_kind())},
         {"measures", s.measures()},
         {"measures_done", s.measures_done()},
         {"claimed_complete", s.claimed_complete()},
         {"verified_complete", s.verified_complete()},
         {"claimed_rate", s.claimed_rate()},
         {"verified_rate", s.verified_rate()},
         {"outcomes", OutcomesJson(s.outcomes())},
         {"figures", MapJson(s.figures())},
         {"violations", s.violations()},
         {"rate_gap", s.rate_gap()},
         {"answered_by", s.answered_by()},
         {"live", s.live()},
         {"as_of_ms", s.as_of_ms()}};
  if (!s.frontier().empty()) {
    json frontier = json::array();
    for (const auto& f : s.frontier()) {
      frontier.push_back({{"origin", f.origin()}, {"seq", f.seq()}, {"head", ToHex(f.head())}});
    }
    j["frontier"] = frontier;
  }
  json children = json::array();
  for (const auto& c : s.children()) children.push_back(SummaryJson(c));
  j["children"] = children;
  return j;
}

json VerifyJson(const v1::VerifyReply& v) {
  json vouched = json::array();
  for (const v1::VouchedRecord& r : v.vouched()) {
    vouched.push_back({{"origin", r.origin()},
                       {"seq", r.seq()},
                       {"id", record::ToHex(r.id())},
                       {"vouched_by_seq", r.vouched_by_seq()}});
  }
  json ineffective = json::array();
  for (const std::string& e : v.ineffective_enrolments()) ineffective.push_back(e);
  json revoked = json::array();
  for (const v1::RevokedRecord& r : v.revoked()) {
    revoked.push_back({{"origin", r.origin()}, {"seq", r.seq()}, {"id", record::ToHex(r.id())}, {"reason", r.reason()}});
  }
  return json{{"ok", v.ok()},
              {"records", v.records()},
              {"origins", v.origins()},
              {"first_bad_origin", v.first_bad_origin()},
              {"first_bad_seq", v.first_bad_seq()},
              {"reason", v.reason()},
              {"vouched", vouched},
              {"ineffective_enrolments", ineffective},
              {"revoked", revoked}};
}

std::string DescribeEvent(Lang lang, const v1::RecordBody& b) {
  const bool zh = lang == Lang::kZh;
  switch (b.event_case()) {
    case v1::RecordBody::kUnitEnrolled:
      return absl::StrCat(zh ? "单位入网 " : "enrolled ", b.unit_enrolled().unit(), " ",
                          b.unit_enrolled().name());
    case v1::RecordBody::kInspectionOpened:
      return absl::StrCat(zh ? "巡察 " : "inspection ", b.inspection_opened().inspecting_body(),
                          " → ", b.inspection_opened().inspected_unit());
    case v1::RecordBody::kProblemRaised:
      return absl::StrCat(zh ? "提出问题: " : "raised: ", b.problem_raised().title(),
                          zh ? " (责任单位 " : " (responsible ", b.problem_raised().unit(), ")");
    case v1::RecordBody::kMeasureAdded:
      return absl::StrCat(zh ? "整改措施 " : "measure ", b.measure_added().measure_id(), ": ",
                          b.measure_added().text());
    case v1::RecordBody::kProgressReported: {
      const auto& e = b.progress_reported();
      std::string s = absl::StrCat(zh ? "进展: " : "progress: ", e.note());
      if (e.measure_done()) absl::StrAppend(&s, zh ? " [措施已落实 " : " [measure done ", e.measure_id(), "]");
      if (e.outcomes().funds_recovered_fen()) {
        absl::StrAppend(&s, zh ? " 追回资金" : " recovered ", Yuan(e.outcomes().funds_recovered_fen()),
                        zh ? "元" : " yuan");
      }
      return s;
    }
    case v1::RecordBody::kCompletionClaimed:
      return absl::StrCat(zh ? "申请销号(" : "claim (",
                          Label(lang, absl::StrCat("kind/", aggregator::ClaimKindKey(
                                                                b.completion_claimed().kind()))),
                          ") ", b.completion_claimed().note());
    case v1::RecordBody::kClaimReviewed:
      return absl::StrCat(b.claim_reviewed().accepted() ? (zh ? "审核通过 " : "claim accepted ")
                                                        : (zh ? "审核退回 " : "claim rejected "),
                          Short(b.claim_reviewed().claim_record_id()), " ", b.claim_reviewed().note());
    case v1::RecordBody::kProblemClosed:
      return absl::StrCat(zh ? "销号 " : "closed ", b.problem_closed().note());
    case v1::RecordBody::kProblemReopened:
      return absl::StrCat(zh ? "回头看重新打开: " : "reopened: ", b.problem_reopened().reason());
    case v1::RecordBody::kProblemAmended: {
      const auto& e = b.problem_amended();
      std::string s = zh ? "修改:" : "amended:";
      if (e.has_deadline()) absl::StrAppend(&s, zh ? " 整改时限=" : " deadline=", e.deadline());
      if (e.has_title()) absl::StrAppend(&s, zh ? " 问题描述=" : " title=", e.title());
      if (e.has_category()) absl::StrAppend(&s, zh ? " 类别=" : " category=", e.category());
      if (e.has_unit()) absl::StrAppend(&s, zh ? " 责任单位=" : " unit=", e.unit());
      if (!e.reason().empty()) absl::StrAppend(&s, " (", e.reason(), ")");
      return s;
    }
    case v1::RecordBody::kFiguresReported:
      return absl::StrCat(zh ? "上报指标 " : "figures ", b.figures_reported().unit(), " ",
                          b.figures_reported().period());
    case v1::RecordBody::kSummaryAttested:
      return absl::StrCat(zh ? "汇总签认 " : "summary attested ", b.summary_attested().unit());
    case v1::RecordBody::kKeyRevoked:
      return absl::StrCat(zh ? "吊销密钥 " : "key revoked ", b.key_revoked().unit(), " ",
                          record::ToHex(b.key_revoked().public_key()).substr(0, 16), zh ? " 自 " : " from ",
                          absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixMillis(b.key_revoked().from_ms()),
                                           absl::LocalTimeZone()),
                          " (", b.key_revoked().reason(), ")");
    case v1::RecordBody::EVENT_NOT_SET:
      break;
  }
  return "?";
}

std::string RenderDetail(Lang lang, const v1::ProblemDetail& d) {
  const v1::ProblemState& s = d.state();
  std::ostringstream out;
  out << Label(lang, "f/problem") << " " << s.problem_id() << "\n";
  Line(out, lang, "f/title", s.title());
  if (!s.detail().empty()) Line(out, lang, "f/detail", s.detail());
  Line(out, lang, "f/category", s.category());
  Line(out, lang, "f/source", Label(lang, absl::StrCat("source/", aggregator::SourceKey(s.source()))));
  Line(out, lang, "f/responsible", s.unit());
  Line(out, lang, "f/raiser", s.raiser());
  if (!s.inspection_id().empty()) Line(out, lang, "f/inspection", s.inspection_id());
  Line(out, lang, "f/deadline", s.deadline().empty() ? "-" : s.deadline());
  Line(out, lang, "f/status", Label(lang, absl::StrCat("status/", aggregator::StatusKey(s.status()))));
  Line(out, lang, "f/colour", Label(lang, absl::StrCat("colour/", d.colour())));
  if (s.reopen_count()) Line(out, lang, "f/reopens", std::to_string(s.reopen_count()));
  Line(out, lang, "f/outcomes", OutcomeLine(lang, s.outcomes()));
  out << "  " << Label(lang, "f/measures") << " (" << s.measures_size() << "):\n";
  for (const auto& m : s.measures()) {
    out << "    [" << (m.done() ? "x" : " ") << "] " << m.measure_id() << "  " << m.text();
    if (!m.deadline().empty()) out << "  (" << m.deadline() << ")";
    out << "\n";
  }
  if (s.claims_size()) {
    out << "  " << Label(lang, "f/claims") << ":\n";
    for (const auto& c : s.claims()) {
      out << "    " << Short(c.record().id()) << "  "
          << Label(lang, absl::StrCat("kind/", aggregator::ClaimKindKey(c.kind()))) << "  "
          << Label(lang, absl::StrCat("verdict/", static_cast<int>(c.verdict())));
      if (!c.reviewer().empty()) out << "  (" << c.reviewer() << ")";
      out << "\n";
    }
  }
  if (s.violations_size()) {
    out << "  " << Label(lang, "f/violations") << ":\n";
    for (const auto& v : s.violations()) {
      out << "    " << v.record().key().origin() << "#" << v.record().key().seq() << "  "
          << v.reason() << "\n";
    }
  }
  out << "  " << Label(lang, "f/history") << ":\n";
  for (const auto& h : d.history()) {
    v1::RecordBody body;
    body.ParseFromString(h.record().body());
    out << "    " << StampTime(body.hlc()) << "  " << body.origin() << "#" << body.seq() << "  "
        << body.author() << "  " << Short(h.id()) << "  "
        << (h.signature_valid() ? "✓ " + Label(lang, "f/signature_ok")
                                : "✗ " + Label(lang, "f/signature_bad") + " " + h.check_error())
        << "\n      " << DescribeEvent(lang, body) << "\n";
  }
  return out.str();
}

std::string RenderList(Lang lang, const v1::ListProblemsReply& list) {
  std::ostringstream out;
  for (const auto& row : list.problems()) {
    const auto& s = row.state();
    out << s.problem_id() << "  "
        << Label(lang, absl::StrCat("status/", aggregator::StatusKey(s.status()))) << "  "
        << (row.colour().empty() ? "-" : Label(lang, "colour/" + row.colour())) << "  "
        << (s.deadline().empty() ? "-" : s.deadline()) << "  " << s.unit() << "  [" << s.category()
        << "] " << s.title() << "\n";
  }
  out << "(" << list.problems_size() << " " << Label(lang, "f/problems") << ")\n";
  return out.str();
}

std::string RenderSummary(Lang lang, const v1::Summary& s) {
  std::ostringstream out;
  out << Label(lang, "f/unit") << " " << s.unit() << " · " << Label(lang, "f/date") << " "
      << s.today() << "\n";
  Line(out, lang, "f/problems", std::to_string(s.problems()));
  Line(out, lang, "f/measures",
       absl::StrCat(s.measures(), " (", Label(lang, "f/measures_done"), " ", s.measures_done(), ")"));
  Line(out, lang, "f/by_status",
       Counts(lang, "status/", s.by_status(), {"open", "in_progress", "claimed", "accepted", "closed"}));
  Line(out, lang, "f/by_colour", Counts(lang, "colour/", s.by_colour(), {"red", "yellow", "green"}));
  Line(out, lang, "f/by_kind", Counts(lang, "kind/", s.by_claim_kind()));
  Line(out, lang, "f/by_category", Counts(lang, "category/", s.by_category()));
  Line(out, lang, "f/by_source", Counts(lang, "source/", s.by_source()));
  Line(out, lang, "f/claimed_rate",
       absl::StrCat(Percent(s.claimed_rate()), " (", s.claimed_complete(), "/", s.problems(), ")"));
  Line(out, lang, "f/verified_rate",
       absl::StrCat(Percent(s.verified_rate()), " (", s.verified_complete(), "/", s.problems(), ")  ",
                    Label(lang, "f/gap"), " ", Percent(s.claimed_rate() - s.verified_rate())));
  Line(out, lang, "f/outcomes", OutcomeLine(lang, s.outcomes()));
  if (s.violations()) Line(out, lang, "f/violations", std::to_string(s.violations()));
  if (!s.figures().empty()) {
    out << "  " << Label(lang, "f/figures") << ":\n";
    std::map<std::string, int64_t> figures(s.figures().begin(), s.figures().end());
    for (const auto& [k, v] : figures) out << "    " << k << " = " << v << "\n";
  }
  if (s.children_size()) {
    out << "  " << Label(lang, "f/children") << ":\n";
    for (const auto& c : s.children()) {
      out << "    " << c.unit() << "  " << Label(lang, "f/problems") << " " << c.problems() << "  "
          << Label(lang, "status/closed") << " " << Get(c.by_status(), "closed") << "  "
          << Label(lang, "f/claimed_rate") << " " << Percent(c.claimed_rate()) << "  "
          << Label(lang, "f/verified_rate") << " " << Percent(c.verified_rate()) << "  "
          << Label(lang, "colour/red") << " "
          << Get(c.by_colour(), "red") << "\n";
    }
  }
  return out.str();
}

std::string RenderVerify(Lang lang, const v1::VerifyReply& v) {
  std::ostringstream out;
  out << (v.ok() ? Label(lang, "f/verify_ok") : Label(lang, "f/verify_bad")) << ": "
      << v.records() << " " << Label(lang, "f/records") << ", " << v.origins() << " "
      << Label(lang, "f/origins") << "\n";
  if (!v.ok()) {
    out << "  " << v.first_bad_origin() << "#" << v.first_bad_seq() << ": " << v.reason() << "\n";
  }
  for (const v1::VouchedRecord& r : v.vouched()) {
    out << "  " << Label(lang, "f/vouched") << " " << r.origin() << "#" << r.seq() << " ("
        << record::ToHex(r.id()).substr(0, 16) << "): " << Label(lang, "f/vouched_by") << " "
        << r.origin() << "#" << r.vouched_by_seq() << "\n";
  }
  for (const std::string& e : v.ineffective_enrolments()) {
    out << "  " << Label(lang, "f/ineffective_enrolment") << " " << e << "\n";
  }
  for (const v1::RevokedRecord& r : v.revoked()) {
    out << "  " << Label(lang, "f/revoked_record") << " " << r.origin() << "#" << r.seq() << " ("
        << record::ToHex(r.id()).substr(0, 16) << "): " << r.reason() << "\n";
  }
  return out.str();
}

}  // namespace rectsync::cli
