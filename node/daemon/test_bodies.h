// Record bodies as an officer would write them, for Node tests and the
// node fuzz targets (header-only, no test framework). Tests only.
#ifndef RECTSYNC_NODE_DAEMON_TEST_BODIES_H_
#define RECTSYNC_NODE_DAEMON_TEST_BODIES_H_

#include <cstdint>
#include <string>

#include "rectsync/v1/record.pb.h"

namespace rectsync::node::testing {

inline v1::RecordBody Raise(const std::string& unit, const std::string& title = "村务公开不及时") {
  v1::RecordBody b;
  b.set_author("zhang");
  auto* e = b.mutable_problem_raised();
  e->set_unit(unit);
  e->set_source(v1::SOURCE_INSPECTION);
  e->set_category("公开");
  e->set_title(title);
  e->set_deadline("2030-06-30");
  return b;
}

inline v1::RecordBody AddMeasure(const std::string& problem) {
  v1::RecordBody b;
  b.set_author("zhang");
  b.mutable_measure_added()->set_problem_id(problem);
  b.mutable_measure_added()->set_text("建立公开台账");
  return b;
}

inline v1::RecordBody Progress(const std::string& problem, int64_t funds_fen = 0,
                        const std::string& measure = "") {
  v1::RecordBody b;
  b.set_author("zhang");
  auto* e = b.mutable_progress_reported();
  e->set_problem_id(problem);
  e->set_measure_id(measure);
  e->set_note("已整改");
  e->mutable_outcomes()->set_funds_recovered_fen(funds_fen);
  return b;
}

inline v1::RecordBody Claim(const std::string& problem) {
  v1::RecordBody b;
  b.set_author("zhang");
  b.mutable_completion_claimed()->set_problem_id(problem);
  b.mutable_completion_claimed()->set_kind(v1::CLAIM_COMPLETED);
  return b;
}

inline v1::RecordBody Review(const std::string& problem, const std::string& claim_id, bool accepted) {
  v1::RecordBody b;
  b.set_author("li");
  auto* e = b.mutable_claim_reviewed();
  e->set_problem_id(problem);
  e->set_claim_record_id(claim_id);
  e->set_accepted(accepted);
  e->set_note(accepted ? "" : "材料不全");
  return b;
}

}  // namespace rectsync::node::testing

#endif  // RECTSYNC_NODE_DAEMON_TEST_BODIES_H_
