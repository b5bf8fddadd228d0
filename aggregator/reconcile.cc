#include "aggregator/reconcile.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace rectsync::aggregator {
namespace {

int64_t Get(const Counters& c, const std::string& k) {
  auto it = c.find(k);
  return it == c.end() ? 0 : it->second;
}

std::string Hex(const std::string& bytes, size_t n) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes.size() && out.size() < n; ++i) {
    out.push_back(kDigits[static_cast<unsigned char>(bytes[i]) >> 4]);
    out.push_back(kDigits[static_cast<unsigned char>(bytes[i]) & 15]);
  }
  return out;
}

v1::Difference Diff(const char* kind, const std::string& unit, const std::string& key, int64_t stated,
                    int64_t recorded, std::string detail) {
  v1::Difference d;
  d.set_kind(kind);
  d.set_unit(unit);
  d.set_key(key);
  d.set_stated(stated);
  d.set_recorded(recorded);
  d.set_detail(std::move(detail));
  return d;
}

}  // namespace

std::string LedgerCounterFor(const std::string& indicator) {
  static const std::map<std::string, std::string> kMap = {
      {"problems", "problems"},
      {"rectified", "verified_complete"},
      {"closed", "status/closed"},
      {"measures", "measures"},
      {"rules_made", "out/rules_made"},
      {"funds_recovered_fen", "out/funds_recovered_fen"},
      {"people_disciplined", "out/people_disciplined"},
      {"people_handled", "out/people_handled"},
      {"people_accountable", "out/people_accountable"},
  };
  auto it = kMap.find(indicator);
  return it == kMap.end() ? "" : it->second;
}

std::string RecordLabel(const v1::RecordRef& ref) {
  return absl::StrCat(ref.key().origin(), "#", ref.key().seq(), " ", Hex(ref.id(), 12));
}

std::vector<std::string> RecordsBehind(const std::map<std::string, v1::ProblemState>& problems,
                                       const std::string& key, size_t limit) {
  std::vector<std::string> out;
  for (const auto& [id, state] : problems) {
    if (out.size() >= limit) break;
    if (Get(Contribution(state), key) == 0 || state.history().empty()) continue;
    out.push_back(absl::StrCat(id, " @ ", RecordLabel(*state.history().rbegin())));
  }
  return out;
}

std::vector<v1::Difference> CompareAttested(const std::string& unit, const Counters& attested,
                                            const Counters& recomputed,
                                            const std::map<std::string, v1::ProblemState>& problems) {
  std::set<std::string> keys;
  for (const auto& [k, v] : attested) keys.insert(k);
  for (const auto& [k, v] : recomputed) keys.insert(k);
  std::vector<v1::Difference> out;
  for (const std::string& k : keys) {
    const int64_t a = Get(attested, k), r = Get(recomputed, k);
    if (a == r) continue;
    v1::Difference d = Diff("attested_counter", unit, k, a, r,
                            absl::StrCat("attested ", a, ", the records at the attested frontier give ", r));
    for (std::string& rec : RecordsBehind(problems, k)) d.add_records(std::move(rec));
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<v1::Difference> CheckFigures(const std::string& unit,
                                         const std::vector<v1::FigureState>& figures,
                                         const Counters& ledger,
                                         const std::map<std::string, v1::ProblemState>& problems) {
  // The latest period reported for each mapped indicator.
  std::map<std::string, const v1::FigureState*> latest;
  for (const v1::FigureState& f : figures) {
    if (f.unit() != unit || LedgerCounterFor(f.indicator()).empty()) continue;
    const v1::FigureState*& slot = latest[f.indicator()];
    if (slot == nullptr || f.period() > slot->period()) slot = &f;
  }
  std::vector<v1::Difference> out;
  for (const auto& [indicator, f] : latest) {
    const std::string counter = LedgerCounterFor(indicator);
    const int64_t recorded = Get(ledger, counter);
    if (f->value() == recorded) continue;
    v1::Difference d = Diff("figure_vs_ledger", unit, indicator, f->value(), recorded,
                            absl::StrCat("reported ", f->value(), " for ", f->period(),
                                         ", the ledger shows ", recorded, " (", counter, ")"));
    d.add_records(absl::StrCat("figure @ ", f->key().origin(), "#", f->key().seq(), " ",
                               Hex(f->record_id(), 12)));
    for (std::string& rec : RecordsBehind(problems, counter)) d.add_records(std::move(rec));
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<v1::Difference> CheckParts(const std::string& unit,
                                       const std::vector<v1::FigureState>& figures) {
  // (period, total indicator) -> total figure, sum of parts, part records.
  struct Group {
    const v1::FigureState* total = nullptr;
    int64_t parts = 0;
    int count = 0;
  };
  std::map<std::pair<std::string, std::string>, Group> groups;
  for (const v1::FigureState& f : figures) {
    if (f.unit() != unit) continue;
    const size_t slash = f.indicator().rfind('/');
    if (slash == std::string::npos) {
      groups[{f.period(), f.indicator()}].total = &f;
    } else {
      Group& g = groups[{f.period(), f.indicator().substr(0, slash)}];
      g.parts += f.value();
      ++g.count;
    }
  }
  std::vector<v1::Difference> out;
  for (const auto& [key, g] : groups) {
    if (g.total == nullptr || g.count == 0 || g.total->value() == g.parts) continue;
    v1::Difference d = Diff("parts_vs_total", unit, key.second, g.total->value(), g.parts,
                            absl::StrCat(key.first, ": total ", g.total->value(), ", its ", g.count,
                                         " parts add up to ", g.parts));
    d.add_records(absl::StrCat("figure @ ", g.total->key().origin(), "#", g.total->key().seq(), " ",
                               Hex(g.total->record_id(), 12)));
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<v1::Difference> CheckStatusSum(const std::string& unit, const Counters& counters) {
  int64_t sum = 0;
  for (const auto& [k, v] : counters) {
    if (absl::StartsWith(k, "status/")) sum += v;
  }
  const int64_t problems = Get(counters, "problems");
  if (sum == problems) return {};
  return {Diff("status_sum", unit, "problems", problems, sum,
               absl::StrCat(problems, " problems but the status counts add up to ", sum))};
}

}  // namespace rectsync::aggregator
