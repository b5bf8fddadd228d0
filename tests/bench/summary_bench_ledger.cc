#include "tests/bench/summary_bench_ledger.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <future>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "aggregator/date.h"
#include "aggregator/status_macros.h"
#include "node/record/codec.h"
#include "node/record/keys.h"
#include "tests/bench/sync_bench_util.h"

namespace rectsync::bench {
namespace {

// Records per push batch: the daemon's default batch_records.
constexpr int kBatchRecords = 500;

constexpr v1::Source kSources[] = {v1::SOURCE_INSPECTION, v1::SOURCE_VISIT, v1::SOURCE_PETITION,
                                   v1::SOURCE_AUDIT, v1::SOURCE_SELF_CHECK};
constexpr const char* kCategories[] = {"惠民资金", "村务公开", "三资管理", "工程项目",
                                       "作风建设", "低保救助", "土地征收", "基层党建"};
constexpr v1::ClaimKind kKinds[] = {v1::CLAIM_COMPLETED, v1::CLAIM_BASICALLY_COMPLETED,
                                    v1::CLAIM_LONG_TERM};

// One origin's log: seq, prev and hlc are assigned here and the record is
// sealed with the origin's key. (node/record/test_chain.h does the same for
// unit tests, but pulls in gtest.)
class OriginLog {
 public:
  explicit OriginLog(std::string unit) : unit_(std::move(unit)), key_(record::KeyPair::Generate()) {}

  v1::Record Append(v1::RecordBody body, uint64_t hlc) {
    body.set_origin(unit_);
    body.set_seq(++seq_);
    body.set_prev(head_);
    body.set_hlc(hlc);
    v1::Record env = record::Seal(body, key_);
    head_ = record::RecordId(env);
    return env;
  }
  const std::string& unit() const { return unit_; }
  const std::string& public_key() const { return key_.public_key(); }

 private:
  std::string unit_;
  record::KeyPair key_;
  uint64_t seq_ = 0;
  std::string head_;
};

v1::RecordBody Authored(const char* author) {
  v1::RecordBody b;
  b.set_author(author);
  return b;
}

v1::RecordBody EnrolBody(const std::string& unit, const std::string& name, v1::Level level,
                         const std::string& public_key) {
  v1::RecordBody b = Authored("组织部");
  v1::UnitEnrolled* e = b.mutable_unit_enrolled();
  e->set_unit(unit);
  e->set_name(name);
  e->set_level(level);
  e->set_public_key(public_key);
  return b;
}

// What one township's part of the ledger needs to be pushed: batches of
// consecutive records of one origin each, in the order the city must
// ingest them (enrolments before the records they vouch for, claims before
// their reviews).
struct TownshipPart {
  std::vector<v1::PushBatch> batches;
  int64_t records = 0;
  int64_t problems = 0;
};

// Cuts `records` (consecutive, one origin) into push batches.
void AddBatches(std::vector<v1::Record> records, TownshipPart* part) {
  part->records += static_cast<int64_t>(records.size());
  for (size_t i = 0; i < records.size(); i += kBatchRecords) {
    v1::PushBatch batch;
    for (size_t j = i; j < std::min(records.size(), i + kBatchRecords); ++j) {
      *batch.add_records() = std::move(records[j]);
    }
    part->batches.push_back(std::move(batch));
  }
}

// Generates and signs township `t` with its villages [v_begin, v_end):
// the county enrols the township, the township its villages, each village
// raises `problems` problems against itself with two measures and two
// progress reports each and claims completion of two in five; the township
// accepts half of those claims and rejects a quarter; the county closes the
// accepted problems one in four. `hlc` is the shared stamp counter; `today`
// days since epoch (deadlines fall from 60 days ago to 180 days ahead).
TownshipPart GenerateTownship(const LedgerShape& shape, const CityLedger& ledger, int t,
                              int v_begin, int v_end, int64_t today, OriginLog* county,
                              uint64_t* hlc) {
  TownshipPart part;
  OriginLog township(ledger.townships[t]);
  AddBatches({county->Append(EnrolBody(township.unit(), absl::StrCat("第", t + 1, "街道"),
                                       v1::LEVEL_TOWNSHIP, township.public_key()),
                             ++*hlc)},
             &part);

  std::vector<OriginLog> villages;
  villages.reserve(v_end - v_begin);
  std::vector<v1::Record> enrolments;
  for (int v = v_begin; v < v_end; ++v) {
    villages.emplace_back(ledger.villages[v]);
    enrolments.push_back(township.Append(EnrolBody(ledger.villages[v], absl::StrCat("第", v + 1, "村"),
                                                   v1::LEVEL_VILLAGE, villages.back().public_key()),
                                         ++*hlc));
  }
  AddBatches(std::move(enrolments), &part);

  struct Claim {
    int64_t g;  // global problem number: decides the verdict
    std::string problem_id;
    std::string record_id;
  };
  std::vector<Claim> claims;
  for (int v = v_begin; v < v_end; ++v) {
    OriginLog& village = villages[v - v_begin];
    const std::string& unit = village.unit();
    std::vector<v1::Record> log;
    for (int p = 0; p < shape.problems; ++p) {
      const int64_t g = static_cast<int64_t>(v) * shape.problems + p;
      const std::string pid = absl::StrCat(unit, ":P", p + 1);
      {
        v1::RecordBody b = Authored("村纪检委员");
        v1::ProblemRaised* e = b.mutable_problem_raised();
        e->set_problem_id(pid);
        e->set_unit(unit);
        e->set_source(kSources[g % 5]);
        e->set_category(kCategories[g % 8]);
        e->set_title(absl::StrCat(kCategories[g % 8], "问题第", p + 1, "项：台账不全、公示不及时"));
        e->set_detail("巡察发现：部分补贴发放台账不全，公示不及时，群众反映强烈");
        if (g % 50 != 7) e->set_deadline(aggregator::FormatDate(today - 60 + (g * 37) % 240));
        log.push_back(village.Append(std::move(b), ++*hlc));
      }
      for (const char* m : {"a", "b"}) {
        v1::RecordBody b = Authored("村纪检委员");
        v1::MeasureAdded* e = b.mutable_measure_added();
        e->set_problem_id(pid);
        e->set_measure_id(absl::StrCat(unit, ":M", p + 1, m));
        e->set_text("建立发放台账，每月公示一次，纪检委员督促落实");
        e->set_deadline(aggregator::FormatDate(today - 30 + (g * 13) % 200));
        log.push_back(village.Append(std::move(b), ++*hlc));
      }
      for (const char* m : {"a", "b"}) {
        v1::RecordBody b = Authored("村纪检委员");
        v1::ProgressReported* e = b.mutable_progress_reported();
        e->set_problem_id(pid);
        e->set_measure_id(absl::StrCat(unit, ":M", p + 1, m));
        if (*m == 'a') {
          e->set_note("已组织自查，追回多发补贴，台账已补齐");
          e->set_measure_done(g % 3 != 0);
          if (g % 4 == 0) e->mutable_outcomes()->set_funds_recovered_fen(50000 + g % 7 * 10000);
        } else {
          e->set_note("公示栏已更新，群众无异议");
          e->set_measure_done(g % 2 == 0);
          if (g % 9 == 0) e->mutable_outcomes()->set_people_disciplined(1);
          if (g % 11 == 0) e->mutable_outcomes()->set_rules_made(1);
        }
        log.push_back(village.Append(std::move(b), ++*hlc));
      }
      if (g % 5 < 2) {
        v1::RecordBody b = Authored("村党支部书记");
        v1::CompletionClaimed* e = b.mutable_completion_claimed();
        e->set_problem_id(pid);
        e->set_kind(kKinds[g % 3]);
        e->set_note("整改措施全部落实，申请验收");
        log.push_back(village.Append(std::move(b), ++*hlc));
        claims.push_back({g, pid, record::RecordId(log.back())});
      }
      ++part.problems;
    }
    AddBatches(std::move(log), &part);
  }

  std::vector<v1::Record> reviews, closings;
  for (const Claim& c : claims) {
    const bool accept = c.g % 5 == 0, reject = c.g % 10 == 1;
    if (!accept && !reject) continue;  // left pending
    v1::RecordBody b = Authored("街道纪工委");
    v1::ClaimReviewed* e = b.mutable_claim_reviewed();
    e->set_problem_id(c.problem_id);
    e->set_claim_record_id(c.record_id);
    e->set_accepted(accept);
    e->set_note(accept ? "现场核查，整改到位，同意验收" : "台账仍不完整，退回继续整改");
    reviews.push_back(township.Append(std::move(b), ++*hlc));
  }
  for (const Claim& c : claims) {
    if (c.g % 20 != 0) continue;
    v1::RecordBody b = Authored("县纪委监委");
    v1::ProblemClosed* e = b.mutable_problem_closed();
    e->set_problem_id(c.problem_id);
    e->set_note("经回访无反弹，予以销号");
    closings.push_back(county->Append(std::move(b), ++*hlc));
  }
  if (!reviews.empty()) AddBatches(std::move(reviews), &part);
  if (!closings.empty()) AddBatches(std::move(closings), &part);
  return part;
}

std::string CountyId(const std::string& city, int c) {
  return absl::StrFormat("%s/%s%02d", city, city, 11 + c);
}

}  // namespace

absl::StatusOr<CityLedger> BuildCityLedger(const LedgerShape& shape, const std::string& dir) {
  if (shape.villages < 1 || shape.problems < 1 || shape.townships < 1 || shape.counties < 1) {
    return absl::InvalidArgumentError("every level needs at least one unit, and one problem");
  }
  const auto start = SteadyClock::now();
  CityLedger ledger;
  ledger.dir = dir;
  ledger.city = "3201";
  const int townships = std::min(shape.townships, shape.villages);
  const int counties = std::min(shape.counties, townships);
  for (int c = 0; c < counties; ++c) ledger.counties.push_back(CountyId(ledger.city, c));
  std::vector<int> county_of(townships), first_village(townships + 1, shape.villages);
  for (int t = 0; t < townships; ++t) {
    county_of[t] = static_cast<int>(static_cast<int64_t>(t) * counties / townships);
    const std::string& county = ledger.counties[county_of[t]];
    ledger.townships.push_back(
        absl::StrFormat("%s%s%03d", county + "/", county.substr(county.rfind('/') + 1), t + 1));
  }
  for (int v = shape.villages - 1; v >= 0; --v) {
    const int t = static_cast<int>(static_cast<int64_t>(v) * townships / shape.villages);
    first_village[t] = v;
  }
  for (int t = 0; t < townships; ++t) {
    const std::string& town = ledger.townships[t];
    for (int v = first_village[t]; v < first_village[t + 1]; ++v) {
      ledger.villages.push_back(absl::StrFormat("%s/%s%03d", town, town.substr(town.rfind('/') + 1),
                                                v - first_village[t] + 1));
    }
  }

  node::RootInit root;
  root.unit = ledger.city;
  root.name = "南京市";
  root.level = v1::LEVEL_CITY;
  root.author = "bench";
  RETURN_IF_ERROR(node::Node::InitRoot(dir, root));
  ASSIGN_OR_RETURN(std::unique_ptr<node::Node> city, OpenNode(dir, /*sync_writes=*/false));
  std::vector<std::unique_ptr<OriginLog>> county_logs;
  for (int c = 0; c < counties; ++c) {
    county_logs.push_back(std::make_unique<OriginLog>(ledger.counties[c]));
    v1::EnrollRequest req;
    req.set_author("bench");
    req.set_unit(ledger.counties[c]);
    req.set_name(absl::StrCat("第", c + 1, "区"));
    req.set_level(v1::LEVEL_COUNTY);
    req.set_public_key(county_logs.back()->public_key());
    RETURN_IF_ERROR(city->Enroll(req).status());
  }

  // Stamps: after the enrolments, one tick per record, so the fold order is
  // the generation order and the stamps stay behind the city's clock.
  uint64_t hlc = static_cast<uint64_t>(city->NowMillis()) << 16;
  ASSIGN_OR_RETURN(int64_t today, aggregator::ParseDate(city->Today()));
  // Two stages: township t+1 is generated and signed on a second thread
  // while the city ingests township t. Generation tasks run one at a time,
  // so the county logs and `hlc` have one user at any moment.
  auto generate = [&](int t) {
    return std::async(std::launch::async, [&, t] {
      return GenerateTownship(shape, ledger, t, first_village[t], first_village[t + 1], today,
                              county_logs[county_of[t]].get(), &hlc);
    });
  };
  std::future<TownshipPart> next = generate(0);
  double last_progress = 0;
  for (int t = 0; t < townships; ++t) {
    TownshipPart part = next.get();
    if (t + 1 < townships) next = generate(t + 1);
    const std::string& pusher = ledger.counties[county_of[t]];
    const auto ingest_start = SteadyClock::now();
    for (const v1::PushBatch& batch : part.batches) {
      v1::PushReply reply = city->IngestPush(pusher, batch);
      if (reply.code() != 0 || static_cast<int>(reply.stored()) != batch.records_size()) {
        if (next.valid()) next.wait();
        return absl::InternalError(absl::StrCat("the city refused a push from ", pusher, " (",
                                                reply.origin(), "): code ", reply.code(),
                                                ", stored ", reply.stored(), " of ",
                                                batch.records_size(), ": ", reply.error()));
      }
    }
    ledger.ingest_seconds += MillisSince(ingest_start) / 1000;
    ledger.records += part.records;
    ledger.problems += part.problems;
    ledger.push_batches += static_cast<int64_t>(part.batches.size());
    const double secs = MillisSince(start) / 1000;
    if (secs - last_progress >= 15 || t + 1 == townships) {
      last_progress = secs;
      std::printf("  (%d/%d townships, %lld records, %.0f s)\n", t + 1, townships,
                  static_cast<long long>(ledger.records), secs);
      std::fflush(stdout);
    }
  }
  ledger.seconds = MillisSince(start) / 1000;
  return ledger;
}

}  // namespace rectsync::bench
