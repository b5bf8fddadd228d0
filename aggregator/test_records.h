// Test helper (header-only): builds DecodedRecords without libsodium.
//
// Record ids are deterministic 32-byte strings derived from (origin, seq), so
// a test can name a record's id (a review names its claim) before or without
// holding the record. `prev` is the fake id of (origin, seq - 1), which makes
// the bodies pass ValidateBody; the fold never checks chains.
#ifndef RECTSYNC_AGGREGATOR_TEST_RECORDS_H_
#define RECTSYNC_AGGREGATOR_TEST_RECORDS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "aggregator/record_view.h"

namespace rectsync::aggregator::testing {

// The units the aggregator tests use: a city, a county, two townships, two
// villages under the first, and a problem the county raised.
inline const std::string kCity = "3201";
inline const std::string kCounty = "3201/320115";
inline const std::string kTown = "3201/320115/320115003";
inline const std::string kTown2 = "3201/320115/320115004";
inline const std::string kVillage = "3201/320115/320115003/320115003012";
inline const std::string kVillage2 = "3201/320115/320115003/320115003013";
inline const std::string kP = "3201/320115:p1";  // raised by the county against kVillage

// 32 bytes: four 8-byte std::hash words of origin, seq and the word index.
inline std::string FakeId(const std::string& origin, uint64_t seq) {
  std::string id;
  id.reserve(32);
  for (int word = 0; word < 4; ++word) {
    uint64_t h = std::hash<std::string>()(absl::StrCat(origin, "#", seq, "#", word));
    for (int i = 0; i < 8; ++i) id.push_back(static_cast<char>((h >> (8 * i)) & 0xff));
  }
  return id;
}

// A record with its header set and no event: origin, seq, hlc, author, prev
// (fake id of seq - 1, empty for seq 1) and id (fake id of seq).
inline DecodedRecord Header(const std::string& origin, uint64_t seq, uint64_t hlc) {
  DecodedRecord r;
  r.id = FakeId(origin, seq);
  r.body.set_origin(origin);
  r.body.set_seq(seq);
  if (seq > 1) r.body.set_prev(FakeId(origin, seq - 1));
  r.body.set_hlc(hlc);
  r.body.set_author("officer");
  return r;
}

// Hands out headers with per-origin seq 1, 2, 3, ...
class Ledger {
 public:
  DecodedRecord Next(const std::string& origin, uint64_t hlc) {
    return Header(origin, ++seqs_[origin], hlc);
  }
  uint64_t LastSeq(const std::string& origin) const {
    auto it = seqs_.find(origin);
    return it == seqs_.end() ? 0 : it->second;
  }

 private:
  std::map<std::string, uint64_t> seqs_;
};

// Event setters: take a header, fill one event, return the record.

inline DecodedRecord Raise(DecodedRecord r, const std::string& problem_id,
                           const std::string& unit, const std::string& deadline = "",
                           const std::string& category = "roads",
                           v1::Source source = v1::SOURCE_INSPECTION) {
  auto* e = r.body.mutable_problem_raised();
  e->set_problem_id(problem_id);
  e->set_unit(unit);
  e->set_source(source);
  e->set_category(category);
  e->set_title(absl::StrCat("title of ", problem_id));
  e->set_detail("detail");
  e->set_deadline(deadline);
  return r;
}

inline DecodedRecord AddMeasure(DecodedRecord r, const std::string& problem_id,
                                const std::string& measure_id,
                                const std::string& deadline = "") {
  auto* e = r.body.mutable_measure_added();
  e->set_problem_id(problem_id);
  e->set_measure_id(measure_id);
  e->set_text("do the thing");
  e->set_deadline(deadline);
  return r;
}

inline DecodedRecord Progress(DecodedRecord r, const std::string& problem_id,
                              const std::string& measure_id = "", bool measure_done = false,
                              int64_t funds_fen = 0, int64_t disciplined = 0) {
  auto* e = r.body.mutable_progress_reported();
  e->set_problem_id(problem_id);
  e->set_measure_id(measure_id);
  e->set_note("progress");
  e->set_measure_done(measure_done);
  e->mutable_outcomes()->set_funds_recovered_fen(funds_fen);
  e->mutable_outcomes()->set_people_disciplined(disciplined);
  return r;
}

inline DecodedRecord ClaimDone(DecodedRecord r, const std::string& problem_id,
                               v1::ClaimKind kind = v1::CLAIM_COMPLETED) {
  auto* e = r.body.mutable_completion_claimed();
  e->set_problem_id(problem_id);
  e->set_kind(kind);
  e->set_note("done");
  return r;
}

inline DecodedRecord Review(DecodedRecord r, const std::string& problem_id,
                            const std::string& claim_record_id, bool accepted) {
  auto* e = r.body.mutable_claim_reviewed();
  e->set_problem_id(problem_id);
  e->set_claim_record_id(claim_record_id);
  e->set_accepted(accepted);
  e->set_note(accepted ? "" : "not good enough");
  return r;
}

inline DecodedRecord Close(DecodedRecord r, const std::string& problem_id) {
  auto* e = r.body.mutable_problem_closed();
  e->set_problem_id(problem_id);
  e->set_note("closed");
  return r;
}

inline DecodedRecord Reopen(DecodedRecord r, const std::string& problem_id) {
  auto* e = r.body.mutable_problem_reopened();
  e->set_problem_id(problem_id);
  e->set_reason("came back");
  return r;
}

// Amends only the fields given through the returned record's
// body.mutable_problem_amended(); sets the problem id and a reason.
inline DecodedRecord Amend(DecodedRecord r, const std::string& problem_id) {
  auto* e = r.body.mutable_problem_amended();
  e->set_problem_id(problem_id);
  e->set_reason("amended");
  return r;
}

inline DecodedRecord AmendDeadline(DecodedRecord r, const std::string& problem_id,
                                   const std::string& deadline) {
  r = Amend(std::move(r), problem_id);
  r.body.mutable_problem_amended()->set_deadline(deadline);
  return r;
}

inline DecodedRecord AmendUnit(DecodedRecord r, const std::string& problem_id,
                               const std::string& unit) {
  r = Amend(std::move(r), problem_id);
  r.body.mutable_problem_amended()->set_unit(unit);
  return r;
}

inline DecodedRecord Figures(DecodedRecord r, const std::string& unit, const std::string& period,
                             const std::vector<std::pair<std::string, int64_t>>& figures) {
  auto* e = r.body.mutable_figures_reported();
  e->set_unit(unit);
  e->set_period(period);
  for (const auto& [indicator, value] : figures) {
    v1::Figure* f = e->add_figures();
    f->set_indicator(indicator);
    f->set_value(value);
  }
  return r;
}

// Deterministic serialization, for byte comparisons of messages with maps
// (v1::Summary): plain SerializeAsString() orders map entries by a hash that
// protobuf seeds from the map's address, so equal summaries held by
// different objects can serialize differently.
inline std::string DeterministicBytes(const google::protobuf::MessageLite& m) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&coded);
  }
  return bytes;
}

// Pointers to the records of a container, for FoldProblem.
template <typename Container>
std::vector<const DecodedRecord*> Ptrs(const Container& records) {
  std::vector<const DecodedRecord*> out;
  for (const auto& r : records) out.push_back(&r);
  return out;
}

}  // namespace rectsync::aggregator::testing

#endif  // RECTSYNC_AGGREGATOR_TEST_RECORDS_H_
