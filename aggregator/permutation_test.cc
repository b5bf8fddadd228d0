// Property test of DESIGN §4: replicas holding the same set of records derive
// byte-identical state, whatever order the records arrived in and however
// often they were re-delivered.
//
// A round generates a realistic record set over a five-level hierarchy by
// simulating officers who act on the state they see (raises by the city,
// counties and townships; measures, progress and claims by the responsible
// units; reviews, closes and reopens by ancestors; amendments; figures) plus
// deliberate authority violations. The set is then fed to several Replicas
// in different orders with duplicates. Randomized: the seed is printed and
// RECTSYNC_SEED=<seed> replays a run.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "aggregator/date.h"
#include "aggregator/derive.h"
#include "aggregator/fold.h"
#include "aggregator/replica.h"
#include "aggregator/rollup.h"
#include "aggregator/test_records.h"
#include "aggregator/unit_id.h"
#include "aggregator/validate.h"
#include "aggregator/test_seed.h"
#include "gtest/gtest.h"

namespace rectsync::aggregator {
namespace {

using namespace ::rectsync::aggregator::testing;  // NOLINT: test helpers

constexpr int kRounds = 50;
constexpr int kDeliveries = 4;  // shuffled replicas, besides the in-order one

// The hierarchy: a city, two counties (one with a department), townships and
// villages.
std::vector<std::string> Units() {
  std::vector<std::string> units = {"3201", "3201/320115", "3201/320116", "3201/320115/kjj"};
  for (const std::string town : {"3201/320115/320115003", "3201/320115/320115004",
                                 "3201/320116/320116001"}) {
    units.push_back(town);
    const std::string code = town.substr(town.rfind('/') + 1);
    for (const char* v : {"012", "013"}) units.push_back(absl::StrCat(town, "/", code, v));
  }
  return units;
}

struct Totals {
  int accepted_or_closed = 0;
  int closed = 0;
  int reopened = 0;
  int rejected_claims = 0;
  int violations = 0;
  int unit_amendments = 0;
  int figure_slots = 0;
  int late_arrivals = 0;  // records that forced a refold at some replica
  int duplicates = 0;
  int violations_emitted = 0;  // authority violations the generator made on purpose
};

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed), units_(Units()) {}

  // Steps until at least `records` records exist (some steps emit nothing).
  std::vector<DecodedRecord> Run(size_t records) {
    while (out_.size() < records && !::testing::Test::HasFatalFailure()) Step();
    return out_;
  }
  const Replica& world() const { return world_; }
  int violations_emitted() const { return violations_emitted_; }

 private:
  size_t Pick(size_t n) { return static_cast<size_t>(rng_() % n); }
  bool Chance(int percent) { return static_cast<int>(rng_() % 100) < percent; }
  template <typename T>
  const T& PickOf(const std::vector<T>& v) { return v[Pick(v.size())]; }

  std::vector<std::string> Matching(bool (*pred)(const std::string&, const std::string&),
                                    const std::string& other) const {
    std::vector<std::string> out;
    for (const auto& u : units_) {
      if (pred(u, other)) out.push_back(u);
    }
    return out;
  }
  static bool Below(const std::string& u, const std::string& a) { return StrictlyBelow(u, a); }
  static bool Within(const std::string& u, const std::string& a) { return InSubtree(u, a); }
  static bool Above(const std::string& u, const std::string& x) { return StrictlyBelow(x, u); }
  static bool Unrelated(const std::string& u, const std::string& x) {
    return !InSubtree(u, x) && !InSubtree(x, u);
  }
  static bool NotAbove(const std::string& u, const std::string& x) {
    return !StrictlyBelow(x, u);
  }

  // A header from `origin`: the clock moves 0..2 ticks per record, so
  // different origins often share an hlc; each origin's own hlcs increase.
  // Every record sorts after the ones generated before it (fold order is
  // generation order), so that a record meant as a violation is judged
  // against the state the generator saw: an origin whose clock ran ahead
  // must not let another stamp a record that folds before its own.
  DecodedRecord Next(const std::string& origin) {
    now_ += Pick(3);
    uint64_t& last = last_hlc_[origin];
    uint64_t hlc = std::max({now_, last + 1, max_hlc_});
    if (hlc == max_hlc_ && origin <= max_origin_) ++hlc;  // ties fold by origin
    last = max_hlc_ = hlc;
    max_origin_ = origin;
    return ledger_.Next(origin, hlc);
  }

  std::string Deadline() {
    if (Chance(20)) return "";
    return FormatDate(*ParseDate("2024-06-20") + static_cast<int64_t>(Pick(121)) - 60);
  }

  const v1::ProblemState* State(const std::string& id) const {
    auto it = world_.problems().find(id);
    return it == world_.problems().end() ? nullptr : &it->second;
  }

  void Emit(DecodedRecord r) {
    absl::Status valid = ValidateBody(r.body);
    ASSERT_TRUE(valid.ok()) << valid << "\n" << r.body.DebugString();
    ASSERT_TRUE(world_.Add(r).ok());
    out_.push_back(std::move(r));
  }

  // Emits a record that must be an authority violation of problem `id`.
  void EmitViolation(DecodedRecord r, const std::string& id) {
    const v1::ProblemState* s = State(id);
    const int before = s ? s->violations_size() : 0;
    const std::string state_before = s ? s->DebugString() : "(none)";
    Emit(r);
    s = State(id);
    ASSERT_NE(s, nullptr);
    ASSERT_EQ(s->violations_size(), before + 1)
        << "generator expected a violation from " << r.body.DebugString() << "\nof the problem, then:\n"
        << state_before;
    ++violations_emitted_;
  }

  void Step() {
    const int u = static_cast<int>(Pick(100));
    if (problems_.empty() || u < 12) return RaiseNew();
    if (u < 20) return ReportFigures();
    if (u < 28) return Violate();
    if (u < 34) return AmendOne();
    return Advance(PickOf(problems_));
  }

  void RaiseNew() {
    const std::string raiser = PickOf(Matching(
        [](const std::string& u, const std::string&) { return UnitDepth(u) <= 3 && u.find("kjj") == u.npos; },
        ""));
    std::vector<std::string> targets = Matching(Below, raiser);
    const std::string unit = targets.empty() || Chance(5) ? raiser : PickOf(targets);
    const std::string id = absl::StrCat(raiser, ":p", ++counter_);
    static const std::vector<std::string> kCategories = {"roads", "funds", "style", "land"};
    Emit(Raise(Next(raiser), id, unit, Deadline(), PickOf(kCategories),
               static_cast<v1::Source>(1 + Pick(5))));
    problems_.push_back(id);
  }

  void ReportFigures() {
    const std::string unit = PickOf(units_);
    const std::string origin = PickOf(SelfAndAncestors(unit));
    static const std::vector<std::string> kPeriods = {"2024", "2024-Q1", "2024-Q2", "2024-05"};
    std::vector<std::pair<std::string, int64_t>> figures;
    for (const char* ind : {"visits", "cases", "problems_collected/民生诉求"}) {
      if (figures.empty() || Chance(50)) figures.emplace_back(ind, static_cast<int64_t>(Pick(41)));
    }
    Emit(Figures(Next(origin), unit, PickOf(kPeriods), figures));
  }

  void Advance(const std::string& id) {
    const v1::ProblemState& s = *State(id);
    const std::string unit = s.unit();
    const std::vector<std::string> judges = Matching(Above, unit);
    switch (s.status()) {
      case v1::STATUS_OPEN:
      case v1::STATUS_IN_PROGRESS: {
        const int r = static_cast<int>(Pick(10));
        const std::string worker = Chance(80) ? unit : PickOf(Matching(Within, unit));
        if (r < 3) {
          Emit(AddMeasure(Next(worker), id, absl::StrCat(worker, ":m", ++counter_), Deadline()));
        } else if (r < 6) {
          std::string measure;
          bool done = false;
          if (s.measures_size() > 0 && Chance(70)) {
            measure = s.measures(static_cast<int>(Pick(s.measures_size()))).measure_id();
            done = Chance(50);
          }
          Emit(Progress(Next(worker), id, measure, done, Chance(30) ? Pick(100000) : 0,
                        Chance(10) ? Pick(3) : 0));
        } else {
          const int k = static_cast<int>(Pick(100));
          Emit(ClaimDone(Next(unit), id,
                         k < 70 ? v1::CLAIM_COMPLETED
                                : (k < 85 ? v1::CLAIM_BASICALLY_COMPLETED : v1::CLAIM_LONG_TERM)));
        }
        return;
      }
      case v1::STATUS_CLAIMED: {
        if (judges.empty()) return;  // a root responsible for itself has no judge
        const std::string claim = s.claims(s.claims_size() - 1).record().id();
        return Emit(Review(Next(PickOf(judges)), id, claim, Chance(65)));
      }
      case v1::STATUS_ACCEPTED:
        if (judges.empty()) return;
        if (Chance(75)) return Emit(Close(Next(PickOf(judges)), id));
        return Emit(Reopen(Next(PickOf(judges)), id));
      case v1::STATUS_CLOSED:
        if (!judges.empty() && Chance(15)) Emit(Reopen(Next(PickOf(judges)), id));
        return;
      default:
        return;
    }
  }

  void AmendOne() {
    const std::string& id = PickOf(problems_);
    const v1::ProblemState& s = *State(id);
    std::vector<std::string> amenders = Matching(Above, s.unit());
    amenders.push_back(s.raiser());
    const std::string amender = PickOf(amenders);
    const int f = static_cast<int>(Pick(10));
    if (f < 5) return Emit(AmendDeadline(Next(amender), id, Deadline()));
    if (f < 7) {
      DecodedRecord r = Amend(Next(amender), id);
      r.body.mutable_problem_amended()->set_title(absl::StrCat("retitled ", ++counter_));
      if (Chance(50)) r.body.mutable_problem_amended()->set_category("funds");
      return Emit(std::move(r));
    }
    std::vector<std::string> targets = Matching(Below, amender);
    if (targets.empty()) return;
    Emit(AmendUnit(Next(amender), id, PickOf(targets)));
  }

  void Violate() {
    const std::string& id = PickOf(problems_);
    const v1::ProblemState& s = *State(id);
    const std::string unit = s.unit();
    switch (Pick(8)) {
      case 0:  // the responsible unit reviews its own claim
        if (s.status() != v1::STATUS_CLAIMED) return;
        return EmitViolation(
            Review(Next(unit), id, s.claims(s.claims_size() - 1).record().id(), true), id);
      case 1: {  // a unit that is no ancestor closes (sibling, cousin, descendant)
        std::vector<std::string> others = Matching(NotAbove, unit);
        return EmitViolation(Close(Next(PickOf(others)), id), id);
      }
      case 2: {  // a village raises a problem against its parent
        std::vector<std::string> deep = Matching(
            [](const std::string& u, const std::string&) { return UnitDepth(u) == 4; }, "");
        const std::string village = PickOf(deep);
        const std::string up = absl::StrCat(village, ":up", ++counter_);
        return EmitViolation(Raise(Next(village), up, ParentUnit(village)), up);
      }
      case 3: {  // an ancestor closes without an accepted claim
        if (s.status() == v1::STATUS_ACCEPTED) return;
        std::vector<std::string> above = Matching(Above, unit);
        if (above.empty()) return;
        return EmitViolation(Close(Next(PickOf(above)), id), id);
      }
      case 4: {  // a second, late review of a claim that was already decided
        std::vector<std::string> decided;
        for (const auto& c : s.claims()) {
          if (c.verdict() != v1::VERDICT_PENDING) decided.push_back(c.record().id());
        }
        std::vector<std::string> above = Matching(Above, unit);
        if (decided.empty() || above.empty()) return;
        return EmitViolation(Review(Next(PickOf(above)), id, PickOf(decided), Chance(50)), id);
      }
      case 5: {  // someone other than the responsible unit claims
        std::vector<std::string> others;
        for (const auto& u : units_) {
          if (u != unit) others.push_back(u);
        }
        return EmitViolation(ClaimDone(Next(PickOf(others)), id), id);
      }
      case 6:  // the responsible unit amends its own problem
        if (unit == s.raiser()) return;
        return EmitViolation(AmendDeadline(Next(unit), id, "2030-01-01"), id);
      default: {  // an outsider reports progress
        std::vector<std::string> outsiders = Matching(Unrelated, unit);
        if (outsiders.empty()) return;
        return EmitViolation(Progress(Next(PickOf(outsiders)), id, "", false, 777), id);
      }
    }
  }

  std::mt19937_64 rng_;
  const std::vector<std::string> units_;
  Ledger ledger_;
  uint64_t now_ = uint64_t{1718000000000} << 16;
  std::map<std::string, uint64_t> last_hlc_;
  uint64_t max_hlc_ = 0;     // of the last record generated
  std::string max_origin_;   // its origin
  Replica world_;  // the records in generation (= fold) order
  std::vector<DecodedRecord> out_;
  std::vector<std::string> problems_;
  int counter_ = 0;
  int violations_emitted_ = 0;
};

// Rollups recomputed from scratch: every problem's contribution on its path,
// and the last-writer-wins figures of the record set.
std::map<std::string, Counters> RollupsFromScratch(const Replica& replica,
                                                   const std::vector<DecodedRecord>& records) {
  RollupDelta all;
  for (const auto& [id, state] : replica.problems()) {
    if (!state.raised()) continue;
    for (const auto& [k, v] : Contribution(state)) AddToPath(state.unit(), k, v, &all);
  }
  std::map<std::string, std::pair<const DecodedRecord*, int64_t>> figures;  // slot -> winner
  for (const auto& r : records) {
    if (!r.body.has_figures_reported()) continue;
    const auto& e = r.body.figures_reported();
    for (const auto& f : e.figures()) {
      auto& slot = figures[FigureKey(e.unit(), e.period(), f.indicator())];
      if (!slot.first || FoldLess(KeyOf(slot.first->body), KeyOf(r.body))) {
        slot = {&r, f.value()};
      }
    }
  }
  for (const auto& [slot, winner] : figures) {
    const auto& e = winner.first->body.figures_reported();
    const std::string indicator = slot.substr(slot.rfind('\n') + 1);
    AddToPath(e.unit(), absl::StrCat("fig/", e.period(), "/", indicator), winner.second, &all);
  }
  std::map<std::string, Counters> out;
  for (auto& [unit, counters] : all) {
    Prune(&counters);
    if (!counters.empty()) out[unit] = counters;
  }
  return out;
}

TEST(PermutationTest, ReplicasAgreeWhateverTheDeliveryOrder) {
  const uint64_t seed = TestSeed();
  std::cout << "seed=" << seed << "; replay with RECTSYNC_SEED=" << seed << std::endl;
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  SCOPED_TRACE(absl::StrCat("seed=", seed, "; replay with RECTSYNC_SEED=", seed));

  const std::vector<std::string> units = Units();
  Totals totals;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round));
    std::mt19937_64 rng(seed + static_cast<uint64_t>(round) * 0x9e3779b97f4a7c15ULL);
    Generator gen(rng());
    const size_t want_records = 150 + rng() % 150;
    const std::vector<DecodedRecord> records = gen.Run(want_records);
    if (::testing::Test::HasFatalFailure()) return;
    ASSERT_EQ(records.size(), want_records);
    const Replica& world = gen.world();
    const std::string expected = world.Serialize();

    // Per-problem reference: a from-scratch fold of all its records.
    std::map<std::string, std::vector<const DecodedRecord*>> by_problem;
    for (const auto& r : records) {
      if (!ProblemOf(r.body).empty()) by_problem[ProblemOf(r.body)].push_back(&r);
    }
    ASSERT_EQ(by_problem.size(), world.problems().size());
    for (const auto& [id, recs] : by_problem) {
      EXPECT_EQ(FoldProblem(id, recs).SerializeAsString(),
                world.problems().at(id).SerializeAsString())
          << id;
    }
    EXPECT_EQ(world.rollups(), RollupsFromScratch(world, records));

    // Deliveries: reversed, then shuffled with re-delivered duplicates.
    std::vector<Replica> replicas(kDeliveries + 1);
    for (int d = 0; d <= kDeliveries; ++d) {
      std::vector<const DecodedRecord*> order;
      for (const auto& r : records) order.push_back(&r);
      if (d == 0) {
        std::reverse(order.begin(), order.end());
      } else {
        std::shuffle(order.begin(), order.end(), rng);
        const size_t dups = records.size() / 4 + rng() % 8;
        for (size_t i = 0; i < dups; ++i) {
          order.insert(order.begin() + static_cast<long>(rng() % (order.size() + 1)),
                       &records[rng() % records.size()]);
        }
        totals.duplicates += static_cast<int>(dups);
      }
      Replica& replica = replicas[d];
      for (const DecodedRecord* r : order) {
        const std::string& pid = ProblemOf(r->body);
        if (!pid.empty()) {
          auto it = replica.problems().find(pid);
          if (it != replica.problems().end() && !HasRecord(it->second, r->id) &&
              !AppliesAtEnd(it->second, *r)) {
            ++totals.late_arrivals;
          }
        }
        ASSERT_TRUE(replica.Add(*r).ok());
      }
      ASSERT_EQ(replica.record_count(), records.size());
      EXPECT_EQ(replica.Serialize(), expected) << "delivery " << d << " diverged";
    }

    const int64_t today = *ParseDate("2024-06-20") + static_cast<int64_t>(rng() % 60) - 30;
    for (const std::string& unit : units) {
      const std::string want = DeterministicBytes(world.Summary(unit, today));
      for (int d = 0; d <= kDeliveries; ++d) {
        EXPECT_EQ(DeterministicBytes(replicas[d].Summary(unit, today)), want)
            << "summary of " << unit << ", delivery " << d;
      }
    }

    // Non-triviality bookkeeping.
    totals.violations_emitted += gen.violations_emitted();
    for (const auto& [id, s] : world.problems()) {
      totals.accepted_or_closed +=
          s.status() == v1::STATUS_ACCEPTED || s.status() == v1::STATUS_CLOSED;
      totals.closed += s.status() == v1::STATUS_CLOSED;
      totals.reopened += s.reopen_count() > 0;
      totals.violations += s.violations_size();
      for (const auto& c : s.claims()) totals.rejected_claims += c.verdict() == v1::VERDICT_REJECTED;
      for (const auto& st : s.stamps()) totals.unit_amendments += st.field() == "unit";
    }
    // Violations of raised problems are counted up to the root.
    int64_t raised_violations = 0;
    for (const auto& [id, s] : world.problems()) raised_violations += s.raised() ? s.violations_size() : 0;
    EXPECT_EQ(world.Summary("3201", today).violations(), raised_violations);
    for (const auto& [unit, counters] : world.rollups()) {
      for (const auto& [k, v] : counters) totals.figure_slots += unit == "3201" && k.rfind("fig/", 0) == 0;
    }
  }

  // The property must have been exercised, not passed vacuously.
  EXPECT_GT(totals.accepted_or_closed, kRounds);
  EXPECT_GT(totals.closed, 0);
  EXPECT_GT(totals.reopened, 0);
  EXPECT_GT(totals.rejected_claims, 0);
  EXPECT_GT(totals.violations, kRounds);
  EXPECT_GT(totals.violations_emitted, kRounds);
  EXPECT_GT(totals.unit_amendments, 0);
  EXPECT_GT(totals.figure_slots, 0);
  EXPECT_GT(totals.late_arrivals, kRounds);
  EXPECT_GT(totals.duplicates, 0);
  std::cout << "accepted_or_closed=" << totals.accepted_or_closed << " closed=" << totals.closed
            << " reopened=" << totals.reopened << " rejected=" << totals.rejected_claims
            << " violations=" << totals.violations << " unit_amendments="
            << totals.unit_amendments << " late_arrivals=" << totals.late_arrivals << std::endl;
}

}  // namespace
}  // namespace rectsync::aggregator
