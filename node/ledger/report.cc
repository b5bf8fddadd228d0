#include "node/ledger/report.h"

#include <algorithm>
#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "aggregator/fold.h"
#include "aggregator/rollup.h"
#include "node/ledger/table.h"

namespace rectsync::ledger {
namespace {

// A problem's history, decoded once.
struct Decoded {
  const v1::ProblemDetail* detail;
  std::vector<std::pair<v1::RecordBody, const v1::HistoryEntry*>> records;
};

Evidence Of(const v1::ProblemState& s, const v1::RecordBody& body, const v1::HistoryEntry& e) {
  Evidence ev;
  ev.problem_id = s.problem_id();
  ev.origin = body.origin();
  ev.seq = body.seq();
  ev.id = e.id();
  // A record whose own signature fails is still proven when a later record of
  // its origin vouches for it (check_error then says so); the node's verify
  // names such records. Here: the record's own check.
  ev.verified = e.signature_valid();
  ev.what = EvidenceWhat(body);
  return ev;
}

std::string Yuan(int64_t fen) {
  return absl::StrFormat("%d.%02d", fen / 100, fen % 100);
}

}  // namespace

const Figure* Bulletin::Find(const std::string& key) const {
  for (const Figure& f : figures) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

std::string EvidenceWhat(const v1::RecordBody& body) {
  switch (body.event_case()) {
    case v1::RecordBody::kProblemRaised: return "问题";
    case v1::RecordBody::kMeasureAdded: return "整改措施";
    case v1::RecordBody::kProgressReported:
      return body.progress_reported().measure_done() ? "措施落实" : "整改进展";
    case v1::RecordBody::kCompletionClaimed: return "申请销号";
    case v1::RecordBody::kClaimReviewed:
      return body.claim_reviewed().accepted() ? "审核通过" : "审核退回";
    case v1::RecordBody::kProblemClosed: return "销号";
    case v1::RecordBody::kProblemReopened: return "回头看";
    case v1::RecordBody::kProblemAmended: return "更正";
    default: return "记录";
  }
}

std::string ProgressWords(const v1::ProblemState& s) {
  const v1::ClaimKind kind = aggregator::CurrentClaimKind(s);
  std::string judged;
  switch (s.status()) {
    case v1::STATUS_CLAIMED: judged = "待验收"; break;
    case v1::STATUS_ACCEPTED: judged = "已验收"; break;
    case v1::STATUS_CLOSED: judged = "已销号"; break;
    case v1::STATUS_IN_PROGRESS: return "正在整改";
    default: return "尚未整改";
  }
  const char* words = kind == v1::CLAIM_COMPLETED             ? "已完成整改"
                      : kind == v1::CLAIM_BASICALLY_COMPLETED ? "基本完成"
                      : kind == v1::CLAIM_LONG_TERM           ? "长期坚持"
                                                              : "已申请销号";
  return absl::StrCat(words, "（", judged, "）");
}

Bulletin BuildBulletin(const std::vector<v1::ProblemDetail>& problems, const std::string& scope_unit,
                       const v1::InspectionOpened& inspection, const std::string& today) {
  Bulletin b;
  b.scope_unit = scope_unit;
  b.inspection = inspection;
  b.today = today;
  auto figure = [&](const char* key, const char* label, const char* unit) {
    b.figures.push_back({key, label, 0, unit, {}});
    return b.figures.size() - 1;
  };
  const size_t kProblems = figure("problems", "反馈问题", "个");
  const size_t kMeasures = figure("measures", "整改措施", "条");
  const size_t kDone = figure("measures_done", "已落实措施", "条");
  const size_t kCompleted = figure("completed", "已完成整改", "个");
  const size_t kBasic = figure("basically_completed", "基本完成", "个");
  const size_t kLong = figure("long_term", "长期坚持", "个");
  const size_t kProgress = figure("in_progress", "正在整改", "个");
  const size_t kOpen = figure("open", "尚未整改", "个");
  const size_t kVerified = figure("verified", "经上级验收完成", "个");
  const size_t kFunds = figure("funds", "追回资金", "元");
  const size_t kDisciplined = figure("disciplined", "党纪政务处分", "人");
  const size_t kHandled = figure("handled", "组织处理", "人");
  const size_t kAccountable = figure("accountable", "问责", "人");
  const size_t kRules = figure("rules", "建章立制", "项");

  // Ledger order: by responsible unit, then id with numbers as numbers.
  std::vector<const v1::ProblemDetail*> ordered;
  for (const v1::ProblemDetail& d : problems) ordered.push_back(&d);
  std::stable_sort(ordered.begin(), ordered.end(), [](const v1::ProblemDetail* a, const v1::ProblemDetail* b) {
    if (a->state().unit() != b->state().unit()) return a->state().unit() < b->state().unit();
    return LedgerIdLess(a->state().problem_id(), b->state().problem_id());
  });
  aggregator::Counters totals;
  std::map<std::string, size_t> aspect_index;
  for (const v1::ProblemDetail* dp : ordered) {
    const v1::ProblemDetail& d = *dp;
    const v1::ProblemState& s = d.state();
    if (!s.raised()) continue;
    for (const auto& [k, v] : aggregator::Contribution(s)) totals[k] += v;
    Decoded dec{&d, {}};
    std::map<std::string, size_t> by_id;  // record id -> index in dec.records
    for (const v1::HistoryEntry& e : d.history()) {
      v1::RecordBody body;
      if (!body.ParseFromString(e.record().body())) continue;
      by_id[e.id()] = dec.records.size();
      dec.records.emplace_back(std::move(body), &e);
    }
    auto add = [&](size_t fig, size_t k) {
      b.figures[fig].records.push_back(Of(s, dec.records[k].first, *dec.records[k].second));
    };
    std::map<std::string, bool> live_measures;
    for (const v1::Measure& m : s.measures()) live_measures[m.measure_id()] = m.done();
    std::map<std::string, size_t> last_done;  // measure id -> its latest 落实 record
    for (size_t k = 0; k < dec.records.size(); ++k) {
      const v1::RecordBody& body = dec.records[k].first;
      if (body.has_problem_raised()) {
        add(kProblems, k);
        if (s.status() == v1::STATUS_IN_PROGRESS) add(kProgress, k);
        if (s.status() == v1::STATUS_OPEN) add(kOpen, k);
      } else if (body.has_measure_added() && live_measures.count(body.measure_added().measure_id())) {
        add(kMeasures, k);
      } else if (body.has_progress_reported()) {
        const v1::ProgressReported& p = body.progress_reported();
        if (p.measure_done() && live_measures[p.measure_id()]) last_done[p.measure_id()] = k;
        const v1::Outcomes& o = p.outcomes();
        if (o.funds_recovered_fen()) add(kFunds, k);
        if (o.people_disciplined()) add(kDisciplined, k);
        if (o.people_handled()) add(kHandled, k);
        if (o.people_accountable()) add(kAccountable, k);
        if (o.rules_made()) add(kRules, k);
      }
    }
    for (const auto& [id, k] : last_done) add(kDone, k);
    // The claim that counts now, and the review that accepted it.
    const bool judged = s.status() == v1::STATUS_CLAIMED || s.status() == v1::STATUS_ACCEPTED ||
                        s.status() == v1::STATUS_CLOSED;
    if (judged && s.claims_size() > 0) {
      const v1::Claim& c = s.claims(s.claims_size() - 1);
      const size_t fig = c.kind() == v1::CLAIM_COMPLETED             ? kCompleted
                         : c.kind() == v1::CLAIM_BASICALLY_COMPLETED ? kBasic
                         : c.kind() == v1::CLAIM_LONG_TERM           ? kLong
                                                                     : b.figures.size();
      if (auto it = by_id.find(c.record().id()); it != by_id.end() && fig < b.figures.size()) add(fig, it->second);
      const bool accepted = s.status() == v1::STATUS_ACCEPTED || s.status() == v1::STATUS_CLOSED;
      const bool completes = c.kind() == v1::CLAIM_COMPLETED || c.kind() == v1::CLAIM_BASICALLY_COMPLETED;
      if (accepted && completes) {
        if (auto it = by_id.find(c.review_id()); it != by_id.end()) add(kVerified, it->second);
      }
    }
    auto [it, fresh] = aspect_index.emplace(s.category(), b.aspects.size());
    if (fresh) b.aspects.push_back({s.category(), {}});
    b.aspects[it->second].problems.push_back(&d);
  }

  auto total = [&](const char* key) {
    auto it = totals.find(key);
    return it == totals.end() ? int64_t{0} : it->second;
  };
  b.figures[kProblems].value = total("problems");
  b.figures[kMeasures].value = total("measures");
  b.figures[kDone].value = total("measures_done");
  b.figures[kVerified].value = total("verified_complete");
  b.figures[kProgress].value = total("status/in_progress");
  b.figures[kOpen].value = total("status/open");
  b.figures[kFunds].value = total("out/funds_recovered_fen");
  b.figures[kDisciplined].value = total("out/people_disciplined");
  b.figures[kHandled].value = total("out/people_handled");
  b.figures[kAccountable].value = total("out/people_accountable");
  b.figures[kRules].value = total("out/rules_made");
  // Claimed kinds: the claims counted above (the summary counts kinds only once accepted).
  for (size_t fig : {kCompleted, kBasic, kLong}) b.figures[fig].value = b.figures[fig].records.size();
  b.claimed_rate = b.figures[kProblems].value ? static_cast<double>(total("claimed_complete")) / b.figures[kProblems].value : 0;
  b.verified_rate = b.figures[kProblems].value ? static_cast<double>(total("verified_complete")) / b.figures[kProblems].value : 0;
  return b;
}

std::string BulletinText(const Bulletin& b, const std::function<std::string(const std::string&)>& name) {
  auto unit_name = [&](const std::string& u) {
    std::string n = name(u);
    return n.empty() ? u : n;
  };
  // "12个[1]": a figure with its note number.
  auto fig = [&](const std::string& key) {
    for (size_t k = 0; k < b.figures.size(); ++k) {
      const Figure& f = b.figures[k];
      if (f.key != key) continue;
      const std::string v = f.unit == std::string("元") ? Yuan(f.value) : absl::StrCat(f.value);
      return absl::StrCat(v, f.unit, "[", k + 1, "]");
    }
    return std::string("?");
  };
  const bool insp = !b.inspection.inspection_id().empty();
  const std::string subject = unit_name(insp ? b.inspection.inspected_unit() : b.scope_unit);
  std::string t = absl::StrCat(subject, "关于巡察整改进展情况的通报\n\n一、基本情况\n");
  if (insp) {
    absl::StrAppend(&t, b.inspection.start_date(), "至", b.inspection.end_date(), "，",
                    b.inspection.inspecting_body(), "对", subject, "开展了巡察",
                    b.inspection.feedback_date().empty() ? "" : absl::StrCat("，", b.inspection.feedback_date(), "反馈了巡察意见"),
                    "。");
  }
  absl::StrAppend(&t, "共反馈", b.aspects.size(), "方面问题", fig("problems"), "，制定整改措施", fig("measures"),
                  "，已落实", fig("measures_done"), "。截至", b.today, "，已完成整改", fig("completed"), "，基本完成",
                  fig("basically_completed"), "，长期坚持", fig("long_term"), "，正在整改", fig("in_progress"),
                  "，尚未整改", fig("open"), "；申报整改率", absl::StrFormat("%.1f%%", 100 * b.claimed_rate),
                  "，经上级验收完成", fig("verified"), "，验收整改率", absl::StrFormat("%.1f%%", 100 * b.verified_rate),
                  "。");
  bool outcomes = false;
  for (const char* k : {"funds", "disciplined", "handled", "accountable", "rules"}) outcomes |= b.Find(k)->value != 0;
  if (outcomes) {
    absl::StrAppend(&t, "追回资金", fig("funds"), "，党纪政务处分", fig("disciplined"), "，组织处理", fig("handled"),
                    "，问责", fig("accountable"), "，建章立制", fig("rules"), "。");
  }
  absl::StrAppend(&t, "\n\n二、问题整改情况\n");
  static const char* kNumbers[] = {"一", "二", "三", "四", "五", "六", "七", "八", "九", "十"};
  int n = 0;
  for (size_t a = 0; a < b.aspects.size(); ++a) {
    const std::string number = a < 10 ? kNumbers[a] : absl::StrCat(a + 1);
    absl::StrAppend(&t, "（", number, "）", b.aspects[a].name, "方面\n");
    for (const v1::ProblemDetail* d : b.aspects[a].problems) {
      const v1::ProblemState& s = d->state();
      absl::StrAppend(&t, ++n, ". ", s.title(), "（", ProgressWords(s), "；", unit_name(s.unit()), "；", s.problem_id(),
                      "）\n");
      int m = 0;
      for (const v1::Measure& me : s.measures()) {
        absl::StrAppend(&t, "   （", ++m, "）", me.text(), me.done() ? "【已落实】" : "【未落实】", "\n");
      }
      for (const v1::HistoryEntry& e : d->history()) {
        v1::RecordBody body;
        if (!body.ParseFromString(e.record().body())) continue;
        if (body.has_progress_reported() && !body.progress_reported().note().empty() &&
            !body.progress_reported().measure_done()) {
          absl::StrAppend(&t, "   进展：", body.progress_reported().note(), "\n");
        }
      }
    }
  }
  absl::StrAppend(&t, "\n附：数字依据（每条为 来源单位#序号 记录哈希前12位，✓ 为签名已验证）\n");
  for (size_t k = 0; k < b.figures.size(); ++k) {
    const Figure& f = b.figures[k];
    absl::StrAppend(&t, "[", k + 1, "] ", f.label, " ",
                    f.unit == std::string("元") ? Yuan(f.value) : absl::StrCat(f.value), f.unit, "：");
    if (f.records.empty()) absl::StrAppend(&t, "无");
    for (size_t r = 0; r < f.records.size(); ++r) {
      const Evidence& e = f.records[r];
      absl::StrAppend(&t, r ? "，" : "", e.origin, "#", e.seq, " ", absl::BytesToHexString(e.id).substr(0, 12),
                      e.verified ? "✓" : "✗");
    }
    absl::StrAppend(&t, "\n");
  }
  return t;
}

}  // namespace rectsync::ledger
