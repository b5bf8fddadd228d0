// `rectsync inspection | problem | measure | progress | claim | review | close |
// reopen`: the rectification workflow, one signed record per command.

#include <iomanip>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "aggregator/status_macros.h"
#include "node/cli/command.h"
#include "node/cli/render.h"
#include "node/record/keys.h"

namespace rectsync::cli {
namespace {

int64_t YuanToFen(double yuan) { return static_cast<int64_t>(yuan * 100 + (yuan >= 0 ? 0.5 : -0.5)); }

class WorkflowCommands : public CommandGroup {
 public:
  WorkflowCommands(CLI::App& app, Session& session);

 private:
  v1::InspectionOpened insp;
  v1::ProblemRaised raised;
  std::string raise_source = "inspection", raise_local;
  v1::ListProblemsRequest ls_req;
  std::string ls_status;
  std::string ls_source;
  uint32_t ls_page_size = 0;
  std::string show_id;
  std::string amend_id, amend_deadline, amend_title, amend_category, amend_unit, amend_reason;
  std::string measure_problem, measure_local;
  v1::MeasureAdded measure_added;
  std::string progress_problem, progress_measure;
  std::vector<std::string> evidence_files;
  v1::ProgressReported progress_event;
  double funds_yuan = 0;
  int64_t disciplined = 0, handled = 0, accountable = 0, rules = 0;
  std::string claim_problem, claim_kind = "completed", claim_note;
  std::string review_problem, review_claim, review_note;
  bool accept = false, reject = false;
  std::string close_problem, close_note;
  std::string reopen_problem, reopen_reason;
  CLI::Option* amend_deadline_opt = nullptr;
  CLI::Option* amend_title_opt = nullptr;
  CLI::Option* amend_category_opt = nullptr;
  CLI::Option* amend_unit_opt = nullptr;
};

WorkflowCommands::WorkflowCommands(CLI::App& app, Session& session) : CommandGroup(session) {
  // inspection open
  auto* inspection = app.add_subcommand("inspection", "inspection rounds (巡察)");
  inspection->require_subcommand(1);
  auto* insp_open = inspection->add_subcommand("open", "record an inspection round (InspectionOpened)");
  insp_open->add_option("--id", *insp.mutable_inspection_id(), "local id, e.g. XC3 (default I<seq>)");
  insp_open->add_option("--body", *insp.mutable_inspecting_body(), "inspecting body, e.g. 县委第三巡察组")->required();
  insp_open->add_option("--unit", *insp.mutable_inspected_unit(), "inspected unit")->required();
  insp_open->add_option("--start", *insp.mutable_start_date(), "YYYY-MM-DD")->required();
  insp_open->add_option("--end", *insp.mutable_end_date(), "YYYY-MM-DD");
  insp_open->add_option("--feedback", *insp.mutable_feedback_date(), "feedback date YYYY-MM-DD");
  on_run(insp_open, [this]() -> absl::Status {
    RETURN_IF_ERROR(connect());
    ASSIGN_OR_RETURN(*insp.mutable_inspection_id(), full_id(insp.inspection_id()));
    v1::RecordBody body;
    *body.mutable_inspection_opened() = insp;
    return AppendAndReport(ctx, *client, std::move(body));
  });

  // problem raise|ls|show|amend
  auto* problem = app.add_subcommand("problem", "problems (问题)");
  problem->require_subcommand(1);
  auto* raise = problem->add_subcommand("raise", "raise a problem (ProblemRaised)");
  raise->add_option("--id", raise_local, "local id (default P<seq>)");
  raise->add_option("--unit", *raised.mutable_unit(), "responsible unit (责任单位); default this node");
  raise->add_option("--category", *raised.mutable_category(), "category (类别)")->required();
  raise->add_option("--title", *raised.mutable_title(), "problem description (问题描述)")->required();
  raise->add_option("--detail", *raised.mutable_detail(), "detail");
  raise->add_option("--deadline", *raised.mutable_deadline(), "deadline 整改时限 YYYY-MM-DD");
  raise->add_option("--source", raise_source, "inspection visit petition audit self-check");
  raise->add_option("--inspection", *raised.mutable_inspection_id(), "inspection id");
  on_run(raise, [this]() -> absl::Status {
    ASSIGN_OR_RETURN(v1::Source source, ParseSource(raise_source));
    raised.set_source(source);
    RETURN_IF_ERROR(connect());
    ASSIGN_OR_RETURN(v1::IdentityReply me, identity());
    if (raised.unit().empty()) raised.set_unit(me.unit());
    if (!raise_local.empty()) raised.set_problem_id(absl::StrCat(me.unit(), ":", raise_local));
    ASSIGN_OR_RETURN(*raised.mutable_inspection_id(), full_id(raised.inspection_id()));
    v1::RecordBody body;
    *body.mutable_problem_raised() = raised;
    return AppendAndReport(ctx, *client, std::move(body));
  });

  auto* ls = problem->add_subcommand("ls", "list problems of a subtree");
  ls->add_option("--unit", *ls_req.mutable_unit(), "subtree root (default this node)");
  ls->add_option("--status", ls_status, "open in-progress claimed accepted closed");
  ls->add_option("--category", *ls_req.mutable_category(), "category");
  ls->add_option("--colour", *ls_req.mutable_colour(), "red yellow green")
      ->check(CLI::IsMember({"red", "yellow", "green"}));
  ls->add_option("--today", *ls_req.mutable_today(), "evaluate deadlines as of YYYY-MM-DD");
  ls->add_option("--source", ls_source, "inspection visit petition audit self-check");
  ls->add_flag("--overdue", [&](int64_t) { ls_req.set_overdue(true); }, "only overdue (red) problems");
  ls->add_option("--page-size", ls_page_size, "at most this many rows; prints the next page token");
  ls->add_option("--page-token", *ls_req.mutable_page_token(), "continue after a previous page");
  on_run(ls, [this]() -> absl::Status {
    if (!ls_status.empty()) {
      ASSIGN_OR_RETURN(v1::Status st, ParseStatus(ls_status));
      ls_req.set_status(st);
    }
    if (!ls_source.empty()) {
      ASSIGN_OR_RETURN(v1::Source src, ParseSource(ls_source));
      ls_req.set_source(src);
    }
    ls_req.set_page_size(ls_page_size);
    RETURN_IF_ERROR(connect());
    ASSIGN_OR_RETURN(v1::ListProblemsReply list,
                     Call(&v1::Admin::Stub::ListProblems, client->admin(), ls_req));
    if (ctx.json) {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& row : list.problems()) arr.push_back(ProblemJson(row.state(), row.colour()));
      // Paged listings carry their token; plain ones stay a bare array.
      std::cout << (ls_page_size > 0
                        ? nlohmann::json{{"problems", arr}, {"next_page_token", list.next_page_token()}}
                        : arr)
                       .dump(2)
                << "\n";
    } else {
      std::cout << RenderList(ctx.lang(), list);
      if (!list.next_page_token().empty()) {
        std::cout << (ctx.lang() == Lang::kZh ? "下一页: --page-token " : "next page: --page-token ")
                  << std::quoted(list.next_page_token()) << "\n";
      }
    }
    return absl::OkStatus();
  });

  auto* show = problem->add_subcommand("show", "a problem's state and its full signed history");
  show->add_option("id", show_id, "problem id (or P<n> on its own node)")->required();
  on_run(show, [this]() -> absl::Status {
    RETURN_IF_ERROR(connect());
    v1::GetProblemRequest req;
    ASSIGN_OR_RETURN(*req.mutable_problem_id(), full_id(show_id));
    ASSIGN_OR_RETURN(v1::ProblemDetail d, Call(&v1::Admin::Stub::GetProblem, client->admin(), req));
    std::cout << (ctx.json ? DetailJson(d).dump(2) + "\n" : RenderDetail(ctx.lang(), d));
    return absl::OkStatus();
  });

  auto* amend = problem->add_subcommand("amend", "amend deadline, title, category or responsible unit");
  amend->add_option("id", amend_id, "problem id")->required();
  amend_deadline_opt = amend->add_option("--deadline", amend_deadline, "new deadline");
  amend_title_opt = amend->add_option("--title", amend_title, "new title");
  amend_category_opt = amend->add_option("--category", amend_category, "new category");
  amend_unit_opt = amend->add_option("--unit", amend_unit, "new responsible unit");
  amend->add_option("--reason", amend_reason, "why");
  on_run(amend, [this]() -> absl::Status {
    RETURN_IF_ERROR(connect());
    v1::RecordBody body;
    auto* e = body.mutable_problem_amended();
    ASSIGN_OR_RETURN(*e->mutable_problem_id(), full_id(amend_id));
    if (amend_deadline_opt->count()) e->set_deadline(amend_deadline);
    if (amend_title_opt->count()) e->set_title(amend_title);
    if (amend_category_opt->count()) e->set_category(amend_category);
    if (amend_unit_opt->count()) e->set_unit(amend_unit);
    e->set_reason(amend_reason);
    return AppendAndReport(ctx, *client, std::move(body));
  });

  // measure add
  auto* measure = app.add_subcommand("measure", "rectification measures (整改措施)");
  measure->require_subcommand(1);
  auto* measure_add = measure->add_subcommand("add", "add a measure to a problem (MeasureAdded)");
  measure_add->add_option("problem", measure_problem, "problem id")->required();
  measure_add->add_option("--text", *measure_added.mutable_text(), "the measure")->required();
  measure_add->add_option("--deadline", *measure_added.mutable_deadline(), "YYYY-MM-DD");
  measure_add->add_option("--id", measure_local, "local id (default M<seq>)");
  on_run(measure_add, [this]() -> absl::Status {
    RETURN_IF_ERROR(connect());
    ASSIGN_OR_RETURN(*measure_added.mutable_problem_id(), full_id(measure_problem));
    ASSIGN_OR_RETURN(*measure_added.mutable_measure_id(), full_id(measure_local));
    v1::RecordBody body;
    *body.mutable_measure_added() = measure_added;
    return AppendAndReport(ctx, *client, std::move(body));
  });

  // progress
  auto* progress = app.add_subcommand("progress", "report progress on a problem or measure (ProgressReported)");
  progress->add_option("problem", progress_problem, "problem id")->required();
  progress->add_option("--note", *progress_event.mutable_note(), "what was done")->required();
  progress->add_option("--measure", progress_measure, "measure id");
  progress->add_flag("--done", [&](int64_t) { progress_event.set_measure_done(true); },
                     "the measure is carried out");
  progress->add_option("--funds", funds_yuan, "funds recovered, yuan (追回资金)");
  progress->add_option("--disciplined", disciplined, "people given Party/government discipline");
  progress->add_option("--handled", handled, "people given organisational handling");
  progress->add_option("--accountable", accountable, "people held accountable");
  progress->add_option("--rules", rules, "rules and systems made (建章立制)");
  progress->add_option("--evidence", evidence_files, "evidence files (their BLAKE2b digests are recorded)");
  on_run(progress, [this]() -> absl::Status {
    RETURN_IF_ERROR(record::InitCrypto());
    RETURN_IF_ERROR(connect());
    ASSIGN_OR_RETURN(*progress_event.mutable_problem_id(), full_id(progress_problem));
    ASSIGN_OR_RETURN(*progress_event.mutable_measure_id(), full_id(progress_measure));
    for (const std::string& f : evidence_files) {
      ASSIGN_OR_RETURN(std::string data, ReadFile(f));
      progress_event.add_evidence_digests(record::Blake2b256(data));
    }
    auto* o = progress_event.mutable_outcomes();
    o->set_funds_recovered_fen(YuanToFen(funds_yuan));
    o->set_people_disciplined(disciplined);
    o->set_people_handled(handled);
    o->set_people_accountable(accountable);
    o->set_rules_made(rules);
    v1::RecordBody body;
    *body.mutable_progress_reported() = progress_event;
    return AppendAndReport(ctx, *client, std::move(body));
  });

  // claim
  auto* claim = app.add_subcommand("claim", "claim completion (申请销号) (CompletionClaimed)");
  claim->add_option("problem", claim_problem, "problem id")->required();
  claim->add_option("--kind", claim_kind, "completed basically-completed long-term");
  claim->add_option("--note", claim_note, "note");
  on_run(claim, [this]() -> absl::Status {
    RETURN_IF_ERROR(connect());
    v1::RecordBody body;
    auto* e = body.mutable_completion_claimed();
    ASSIGN_OR_RETURN(*e->mutable_problem_id(), full_id(claim_problem));
    ASSIGN_OR_RETURN(v1::ClaimKind kind, ParseClaimKind(claim_kind));
    e->set_kind(kind);
    e->set_note(claim_note);
    return AppendAndReport(ctx, *client, std::move(body));
  });

  // review
  auto* review = app.add_subcommand("review", "review a claim (审核/验收) (ClaimReviewed)");
  review->add_option("problem", review_problem, "problem id")->required();
  auto* accept_flag = review->add_flag("--accept", accept, "accept the claim");
  review->add_flag("--reject", reject, "reject the claim")->excludes(accept_flag);
  review->add_option("--claim", review_claim, "claim record id (hex; default the pending claim)");
  review->add_option("--note", review_note, "note (required for a rejection)");
  on_run(review, [this]() -> absl::Status {
    if (accept == reject) return absl::InvalidArgumentError("review: give --accept or --reject");
    RETURN_IF_ERROR(connect());
    v1::RecordBody body;
    auto* e = body.mutable_claim_reviewed();
    ASSIGN_OR_RETURN(*e->mutable_problem_id(), full_id(review_problem));
    if (review_claim.empty()) {
      v1::GetProblemRequest req;
      req.set_problem_id(e->problem_id());
      ASSIGN_OR_RETURN(v1::ProblemDetail d, Call(&v1::Admin::Stub::GetProblem, client->admin(), req));
      for (const auto& c : d.state().claims()) {
        if (c.verdict() == v1::VERDICT_PENDING) e->set_claim_record_id(c.record().id());
      }
      if (e->claim_record_id().empty()) {
        return absl::FailedPreconditionError(
            absl::StrCat("problem \"", e->problem_id(), "\" has no pending claim to review"));
      }
    } else {
      ASSIGN_OR_RETURN(*e->mutable_claim_record_id(), record::FromHex(review_claim, "claim"));
    }
    e->set_accepted(accept);
    e->set_note(review_note);
    return AppendAndReport(ctx, *client, std::move(body));
  });

  // close / reopen
  auto* close = app.add_subcommand("close", "close an accepted problem (销号) (ProblemClosed)");
  close->add_option("problem", close_problem, "problem id")->required();
  close->add_option("--note", close_note, "note");
  on_run(close, [this]() -> absl::Status {
    RETURN_IF_ERROR(connect());
    v1::RecordBody body;
    ASSIGN_OR_RETURN(*body.mutable_problem_closed()->mutable_problem_id(), full_id(close_problem));
    body.mutable_problem_closed()->set_note(close_note);
    return AppendAndReport(ctx, *client, std::move(body));
  });
  auto* reopen = app.add_subcommand("reopen", "reopen a problem found back (回头看) (ProblemReopened)");
  reopen->add_option("problem", reopen_problem, "problem id")->required();
  reopen->add_option("--reason", reopen_reason, "what the look-back found")->required();
  on_run(reopen, [this]() -> absl::Status {
    RETURN_IF_ERROR(connect());
    v1::RecordBody body;
    ASSIGN_OR_RETURN(*body.mutable_problem_reopened()->mutable_problem_id(), full_id(reopen_problem));
    body.mutable_problem_reopened()->set_reason(reopen_reason);
    return AppendAndReport(ctx, *client, std::move(body));
  });
}

}  // namespace

std::unique_ptr<CommandGroup> AddWorkflowCommands(CLI::App& app, Session& session) {
  return std::make_unique<WorkflowCommands>(app, session);
}

}  // namespace rectsync::cli
