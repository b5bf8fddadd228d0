#include "aggregator/rollup.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "aggregator/date.h"
#include "aggregator/fold.h"
#include "aggregator/unit_id.h"

namespace rectsync::aggregator {
namespace {

constexpr absl::string_view kOutcomeNames[] = {"funds_recovered_fen", "people_disciplined",
                                              "people_handled", "people_accountable",
                                              "rules_made"};

int64_t OutcomeValue(const v1::Outcomes& o, size_t i) {
  switch (i) {
    case 0: return o.funds_recovered_fen();
    case 1: return o.people_disciplined();
    case 2: return o.people_handled();
    case 3: return o.people_accountable();
    default: return o.rules_made();
  }
}

void SetOutcome(v1::Outcomes* o, size_t i, int64_t v) {
  switch (i) {
    case 0: return o->set_funds_recovered_fen(v);
    case 1: return o->set_people_disciplined(v);
    case 2: return o->set_people_handled(v);
    case 3: return o->set_people_accountable(v);
    default: return o->set_rules_made(v);
  }
}

double Rate(int64_t part, int64_t whole) {
  return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
}

}  // namespace

Counters Contribution(const v1::ProblemState& s) {
  Counters c;
  if (!s.raised()) return c;
  c["problems"] = 1;
  c[absl::StrCat("status/", StatusKey(s.status()))] = 1;
  c[absl::StrCat("category/", s.category())] = 1;
  c[absl::StrCat("source/", SourceKey(s.source()))] = 1;
  const v1::ClaimKind kind = CurrentClaimKind(s);
  const bool accepted = s.status() == v1::STATUS_ACCEPTED || s.status() == v1::STATUS_CLOSED;
  if (accepted) c[absl::StrCat("kind/", ClaimKindKey(kind))] = 1;
  const bool completes = kind == v1::CLAIM_COMPLETED || kind == v1::CLAIM_BASICALLY_COMPLETED;
  if (completes && (accepted || s.status() == v1::STATUS_CLAIMED)) c["claimed_complete"] = 1;
  if (completes && accepted) c["verified_complete"] = 1;
  if (Colourable(s)) c[s.deadline().empty() ? "due/none" : absl::StrCat("due/", s.deadline())] = 1;
  int64_t done = 0;
  for (const auto& m : s.measures()) done += m.done();
  if (s.measures_size() > 0) c["measures"] = s.measures_size();
  if (done > 0) c["measures_done"] = done;
  if (s.violations_size() > 0) c["violations"] = s.violations_size();
  for (size_t i = 0; i < std::size(kOutcomeNames); ++i) {
    if (int64_t v = OutcomeValue(s.outcomes(), i); v != 0) {
      c[absl::StrCat("out/", kOutcomeNames[i])] = v;
    }
  }
  return c;
}

void AddToPath(const std::string& unit, const std::string& key, int64_t value,
               RollupDelta* delta) {
  if (value == 0) return;
  for (const std::string& u : SelfAndAncestors(unit)) {
    int64_t& slot = (*delta)[u][key];
    slot += value;
  }
}

namespace {

// sign × every non-zero counter of `c`, added to `unit` and each ancestor:
// the path is walked once, not once per counter.
void AddAllToPath(const std::string& unit, const Counters& c, int64_t sign, RollupDelta* delta) {
  if (std::all_of(c.begin(), c.end(), [](const auto& kv) { return kv.second == 0; })) return;
  for (const std::string& u : SelfAndAncestors(unit)) {
    Counters& into = (*delta)[u];
    for (const auto& [k, v] : c) {
      if (v != 0) into[k] += sign * v;
    }
  }
}

}  // namespace

void AddProblemDelta(const v1::ProblemState* before, const v1::ProblemState& after,
                     RollupDelta* delta) {
  Counters added = Contribution(after);
  if (before && before->raised()) {
    Counters removed = Contribution(*before);
    if (before->unit() == after.unit()) {
      for (const auto& [k, v] : removed) added[k] -= v;
    } else {
      AddAllToPath(before->unit(), removed, -1, delta);
    }
  }
  if (!after.raised()) return;
  AddAllToPath(after.unit(), added, 1, delta);
}

void Accumulate(const Counters& add, Counters* into) {
  for (const auto& [k, v] : add) (*into)[k] += v;
}

void Prune(Counters* c) {
  for (auto it = c->begin(); it != c->end();) {
    it = it->second == 0 ? c->erase(it) : std::next(it);
  }
}

v1::Summary Summarize(const std::string& unit, const Counters& c, int64_t today,
                      const SummaryOptions& options) {
  v1::Summary s;
  s.set_unit(unit);
  s.set_today(FormatDate(today));
  auto get = [&](const std::string& k) {
    auto it = c.find(k);
    return it == c.end() ? 0 : it->second;
  };
  s.set_problems(get("problems"));
  s.set_measures(get("measures"));
  s.set_measures_done(get("measures_done"));
  s.set_claimed_complete(get("claimed_complete"));
  s.set_verified_complete(get("verified_complete"));
  s.set_claimed_rate(Rate(s.claimed_complete(), s.problems()));
  s.set_verified_rate(Rate(s.verified_complete(), s.problems()));
  s.set_violations(get("violations"));
  for (size_t i = 0; i < std::size(kOutcomeNames); ++i) {
    SetOutcome(s.mutable_outcomes(), i, get(absl::StrCat("out/", kOutcomeNames[i])));
  }
  for (const auto& [k, v] : c) {
    if (v == 0) continue;
    absl::string_view key = k;
    const int64_t value = v;  // a lambda may not capture a structured binding (C++17)
    auto take = [&](absl::string_view prefix, google::protobuf::Map<std::string, int64_t>* m) {
      if (!absl::StartsWith(key, prefix)) return false;
      (*m)[std::string(key.substr(prefix.size()))] += value;
      return true;
    };
    if (take("status/", s.mutable_by_status()) || take("category/", s.mutable_by_category()) ||
        take("source/", s.mutable_by_source()) || take("kind/", s.mutable_by_claim_kind()) ||
        take("fig/", s.mutable_figures())) {
      continue;
    }
    if (absl::StartsWith(key, "due/")) {
      absl::string_view date = key.substr(4);
      std::string colour = "no_deadline";
      if (auto due = ParseDate(date); due.ok()) {
        colour = *due < today ? "red" : (*due - today <= options.yellow_days ? "yellow" : "green");
      }
      (*s.mutable_by_colour())[colour] += v;
    }
  }
  return s;
}

}  // namespace rectsync::aggregator
