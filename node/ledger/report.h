// The 巡察整改进展情况通报: the public progress report on an inspection's
// problems (or on a unit's whole ledger), computed from the problems' signed
// histories so that every figure it states names the records it was counted
// from. Pure: problem details in, a Bulletin and its text out. The console
// renders the same Bulletin as a print-ready page (node/console/pages.h).
//
// Figures are counted as the summary counts them (aggregator::Contribution):
// a problem is 已完成 / 基本完成 / 长期坚持 by the kind of its current
// completion claim (申请销号) while claimed, accepted or closed; 申报整改率
// is claimed-complete over all, 验收整改率 accepted-complete over all.
#ifndef RECTSYNC_NODE_LEDGER_REPORT_H_
#define RECTSYNC_NODE_LEDGER_REPORT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "rectsync/v1/admin.pb.h"
#include "rectsync/v1/record.pb.h"

namespace rectsync::ledger {

// One record behind a figure.
struct Evidence {
  std::string problem_id;
  std::string origin;
  uint64_t seq = 0;
  std::string id;        // raw record id (BLAKE2b)
  bool verified = false;  // its signature (or a later one through the chain) checks
  std::string what;       // "问题", "整改措施", "申请销号", ...
};

// A figure the report states, and the records it is the count (or sum) of.
struct Figure {
  std::string key;    // "problems", "measures", "completed", ... (anchors, JSON)
  std::string label;  // "反馈问题", "整改措施", ...
  int64_t value = 0;
  std::string unit;   // "个", "条", "人", "项", "元"
  std::vector<Evidence> records;
};

struct Bulletin {
  std::string scope_unit;           // the subtree reported on
  v1::InspectionOpened inspection;  // empty inspection_id: the whole ledger
  std::string today;                // "截至" date
  // In the order the report states them; Find() by key.
  std::vector<Figure> figures;
  double claimed_rate = 0, verified_rate = 0;
  // 二、问题整改情况: problems by 方面 (their category), in ledger order.
  struct Aspect {
    std::string name;
    std::vector<const v1::ProblemDetail*> problems;
  };
  std::vector<Aspect> aspects;

  const Figure* Find(const std::string& key) const;
};

// `problems` must outlive the Bulletin (aspects point into it).
Bulletin BuildBulletin(const std::vector<v1::ProblemDetail>& problems, const std::string& scope_unit,
                       const v1::InspectionOpened& inspection, const std::string& today);

// What a problem stands at, in the report's words: 已完成整改, 基本完成,
// 长期坚持, 正在整改, 尚未整改 (with 已验收 / 已销号 when reviewed).
std::string ProgressWords(const v1::ProblemState& state);
// The record's event, in the report's words ("整改措施", "申请销号"...).
std::string EvidenceWhat(const v1::RecordBody& body);

// The report as plain text: figures carry a note number [k], and the notes
// at the end list each figure's records (origin#seq, id prefix, ✓ verified).
// `name` gives a unit's name ("" if unknown).
std::string BulletinText(const Bulletin& b, const std::function<std::string(const std::string&)>& name);

}  // namespace rectsync::ledger

#endif  // RECTSYNC_NODE_LEDGER_REPORT_H_
