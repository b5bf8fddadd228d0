// Node::ImportLedger: a ledger file (整改台账, CSV or .xlsx) recorded as this
// node's records, all or none. The one implementation behind `rectsync
// import`, the admin service and the console's import page.
#include "absl/strings/str_cat.h"
#include "aggregator/status_macros.h"
#include "node/daemon/node.h"
#include "node/ledger/formats.h"

namespace rectsync::node {
namespace {

void CopyIssues(const std::vector<ledger::LedgerIssue>& from,
                google::protobuf::RepeatedPtrField<v1::LedgerIssue>* to) {
  for (const ledger::LedgerIssue& i : from) {
    v1::LedgerIssue* out = to->Add();
    out->set_line(i.line);
    out->set_column(i.column);
    out->set_reason(i.reason);
  }
}

std::string Count(size_t n, const char* one, const char* many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}

}  // namespace

absl::StatusOr<v1::ImportLedgerReply> Node::ImportLedger(const v1::ImportLedgerRequest& request) {
  if (request.author().empty()) return absl::InvalidArgumentError("author: must not be empty");
  ledger::LedgerImport parsed = ledger::ParseLedgerFile(request.file(), unit_);
  // The inspection that found them (checked with the records: it must be known here).
  for (ledger::LedgerProblem& p : parsed.problems) p.raised.set_inspection_id(request.inspection_id());
  v1::ImportLedgerReply reply;
  reply.set_line_word(parsed.line_word);
  CopyIssues(parsed.errors, reply.mutable_errors());
  CopyIssues(parsed.refused, reply.mutable_refused());
  reply.set_rows(parsed.rows);
  if (!parsed.errors.empty()) {
    reply.set_refusal(absl::StrCat(Count(parsed.errors.size(), "error", "errors"), "; nothing was written"));
    return reply;
  }
  if (!parsed.refused.empty() && !request.skip_refused()) {
    reply.set_refusal(absl::StrCat(Count(parsed.refused.size(), "problem", "problems"),
                                   " refused; nothing was written (skip the refused to record the others)"));
    return reply;
  }
  if (parsed.problems.empty()) {
    reply.set_refusal("nothing to import");
    return reply;
  }
  size_t measures = 0;
  for (const ledger::LedgerProblem& p : parsed.problems) measures += p.measures.size();
  reply.set_problems(parsed.problems.size());
  reply.set_measures(measures);
  const std::string source =
      request.file_name().empty() ? "(upload)" : request.file_name().substr(request.file_name().rfind('/') + 1);

  // Records name the ids created before them, which the plan predicts from
  // the head: plan and append under the write lock, so nothing slips in.
  std::lock_guard<std::mutex> lock(write_mu_);
  ASSIGN_OR_RETURN(store::Head head, store_->GetHead(unit_));
  std::vector<ledger::PlannedRecord> plan =
      ledger::PlanLedgerRecords(parsed.problems, unit_, head.seq, request.author(), source);
  reply.set_records(plan.size());
  if (request.dry_run()) return reply;
  std::vector<v1::RecordBody> bodies;
  bodies.reserve(plan.size());
  for (const ledger::PlannedRecord& r : plan) bodies.push_back(r.body);
  auto appended = AppendAllLocked(std::move(bodies));
  if (!appended.ok()) {
    // "record K: ..." names the failing record: point at its line instead.
    std::string why(appended.status().message());
    int k = plan.size() == 1 ? 1 : 0;
    if (std::sscanf(why.c_str(), "record %d: ", &k) == 1) why = why.substr(why.find(": ") + 2);
    if (k >= 1 && static_cast<size_t>(k) <= plan.size()) {
      why = ledger::LedgerIssue{plan[k - 1].line, "", why}.ToString(parsed.line_word);
    }
    return absl::Status(appended.status().code(), absl::StrCat(why, "; nothing was written"));
  }
  reply.set_written(true);
  reply.set_first_seq(appended->front().seq());
  reply.set_last_seq(appended->back().seq());
  return reply;
}

absl::StatusOr<v1::ReportReply> Node::Report(const v1::ReportRequest& request) const {
  v1::ReportReply reply;
  reply.set_unit(request.unit().empty() ? unit_ : request.unit());
  reply.set_today(Today());
  if (!request.inspection_id().empty()) {
    ASSIGN_OR_RETURN(std::vector<v1::Record> inspections, store_->Inspections());
    for (const v1::Record& env : inspections) {
      v1::RecordBody body;
      if (body.ParseFromString(env.body()) && body.inspection_opened().inspection_id() == request.inspection_id()) {
        *reply.mutable_inspection() = body.inspection_opened();
      }
    }
    if (reply.inspection().inspection_id().empty()) {
      return absl::NotFoundError(absl::StrCat("inspection ", request.inspection_id(), ": not known to this node"));
    }
  }
  v1::ListProblemsRequest list;
  list.set_unit(request.unit());
  list.set_inspection_id(request.inspection_id());
  list.set_page_size(500);
  do {
    ASSIGN_OR_RETURN(v1::ListProblemsReply page, ListProblems(list));
    for (const v1::ProblemRow& row : page.problems()) {
      ASSIGN_OR_RETURN(*reply.add_problems(), GetProblem(row.state().problem_id()));
    }
    list.set_page_token(page.next_page_token());
  } while (!list.page_token().empty());
  ASSIGN_OR_RETURN(std::vector<v1::Record> enrolments, store_->Enrolments());
  for (const v1::Record& env : enrolments) {
    v1::RecordBody body;
    if (body.ParseFromString(env.body()) && body.has_unit_enrolled()) {
      (*reply.mutable_unit_names())[body.unit_enrolled().unit()] = body.unit_enrolled().name();
    }
  }
  return reply;
}

}  // namespace rectsync::node
