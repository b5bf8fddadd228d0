// rectsync: the officers' and operators' command line. Every write becomes a
// signed record on the node selected by --node (or RECTSYNC_NODE).
// Exit codes: 0 ok, 1 refused (the message names the field or rule), 2 usage.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "aggregator/status_macros.h"
#include "node/cli/client.h"
#include "node/cli/cmd_user.h"
#include "node/cli/labels.h"
#include "node/ledger/formats.h"
#include "node/ledger/report.h"
#include "node/cli/render.h"
#include "node/cli/render_reconcile.h"
#include "node/cli/render_sync.h"
#include "node/daemon/config.h"
#include "node/daemon/node.h"
#include "node/record/keys.h"
#include "node/sync/sync_client.h"

namespace rectsync::cli {
namespace {

struct Context {
  std::string node_dir;
  std::string author;
  std::string lang_name = "zh";
  bool json = false;
  Lang lang() const { return lang_name == "en" ? Lang::kEn : Lang::kZh; }
};

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "rectsync: %s\n", std::string(s.message()).c_str());
  return 1;
}

absl::StatusOr<std::unique_ptr<NodeClient>> Open(const Context& ctx) {
  if (ctx.node_dir.empty()) {
    return absl::InvalidArgumentError("--node: no node selected (give --node DIR or set RECTSYNC_NODE)");
  }
  return NodeClient::Connect(ctx.node_dir);
}

// "P3" is short for "<this node's unit>:P3".
absl::StatusOr<std::string> FullId(NodeClient& client, const std::string& id) {
  if (id.find(':') != std::string::npos) return id;
  ASSIGN_OR_RETURN(v1::IdentityReply me,
                   Call(&v1::Admin::Stub::Identity, client.admin(), v1::IdentityRequest()));
  return absl::StrCat(me.unit(), ":", id);
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream data;
  data << in.rdbuf();
  return data.str();
}

// Appends one record carrying `event` (set by the caller on the body).
absl::Status AppendAndReport(const Context& ctx, NodeClient& client, v1::RecordBody body) {
  body.set_author(ctx.author);
  v1::AppendRequest req;
  *req.mutable_body() = std::move(body);
  ASSIGN_OR_RETURN(v1::AppendReply reply, Call(&v1::Admin::Stub::Append, client.admin(), req));
  if (ctx.json) {
    std::cout << nlohmann::json{{"record_id", record::ToHex(reply.id())},
                                {"seq", reply.seq()},
                                {"subject", reply.subject()}}
                     .dump()
              << "\n";
  } else {
    std::cout << (ctx.lang() == Lang::kZh ? "已记录 " : "recorded ") << reply.subject() << "  #"
              << reply.seq() << "  " << record::ToHex(reply.id()).substr(0, 12) << "\n";
  }
  return absl::OkStatus();
}

using Action = std::function<absl::Status()>;

// Wraps an action that needs a connected node and a problem id argument.
struct ProblemArgs {
  std::string id;
};

int64_t YuanToFen(double yuan) { return static_cast<int64_t>(yuan * 100 + (yuan >= 0 ? 0.5 : -0.5)); }

}  // namespace

int Main(int argc, char** argv) {
  CLI::App app{"rectsync: rectification ledger (整改台账) command line"};
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand
  Context ctx;
  if (const char* env = std::getenv("RECTSYNC_NODE")) ctx.node_dir = env;
  if (const char* env = std::getenv("RECTSYNC_AUTHOR")) ctx.author = env;
  else if (const char* user = std::getenv("USER")) ctx.author = user;
  if (ctx.author.empty()) ctx.author = "operator";
  app.add_option("--node", ctx.node_dir, "node data directory (env RECTSYNC_NODE)");
  app.add_option("--author", ctx.author, "officer writing the record (env RECTSYNC_AUTHOR)");
  app.add_option("--lang", ctx.lang_name, "zh (default) or en")->check(CLI::IsMember({"zh", "en"}));
  app.add_flag("--json", ctx.json, "machine-readable output");

  Action action;
  std::unique_ptr<NodeClient> client;
  auto connect = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(client, Open(ctx));
    return absl::OkStatus();
  };

  // keygen
  auto* keygen = app.add_subcommand("keygen", "create this node's key (node.key, 0600) and print its public key");
  keygen->callback([&] {
    action = [&]() -> absl::Status {
      ASSIGN_OR_RETURN(std::string pk, node::Node::KeyGen(ctx.node_dir));
      std::cout << record::ToHex(pk) << "\n";
      return absl::OkStatus();
    };
  });

  // init
  auto* init = app.add_subcommand("init", "initialise a node: --root, or from an enrolment file");
  bool root = false;
  std::string init_unit, init_name, init_level = "city", enrollment_file;
  init->add_flag("--root", root, "this node is the root of the hierarchy (its key is the trust anchor)");
  init->add_option("--unit", init_unit, "root unit id, e.g. 3201");
  init->add_option("--name", init_name, "root unit name, e.g. XX市");
  init->add_option("--level", init_level, "root level (default city)");
  init->add_option("--enrollment", enrollment_file, "enrolment file issued by the parent");
  node::NodeOptions net;
  init->add_option("--listen", net.listen, "public gRPC address for children, e.g. 127.0.0.1:7001");
  init->add_option("--parent", net.parent, "the parent's gRPC address, e.g. 127.0.0.1:7000");
  init->add_flag("--plaintext", net.plaintext, "allow plaintext gRPC (loopback addresses only)");
  init->add_option("--parent-unit", net.parent_unit,
                   "the parent's unit when it is not the next unit up the id path");
  init->callback([&] {
    action = [&]() -> absl::Status {
      if (ctx.node_dir.empty()) return absl::InvalidArgumentError("--node: required for init");
      if (root == !enrollment_file.empty()) {
        return absl::InvalidArgumentError("init: give exactly one of --root or --enrollment FILE");
      }
      if (root) {
        node::RootInit r;
        r.unit = init_unit;
        r.name = init_name;
        ASSIGN_OR_RETURN(r.level, ParseLevel(init_level));
        r.author = ctx.author;
        RETURN_IF_ERROR(node::Node::InitRoot(ctx.node_dir, r));
      } else {
        ASSIGN_OR_RETURN(std::string bytes, ReadFile(enrollment_file));
        v1::EnrollmentBundle bundle;
        if (!bundle.ParseFromString(bytes)) {
          return absl::InvalidArgumentError(absl::StrCat(enrollment_file, ": not an enrolment file"));
        }
        RETURN_IF_ERROR(node::Node::InitFromBundle(ctx.node_dir, bundle));
      }
      if (!net.listen.empty() || !net.parent.empty()) {
        ASSIGN_OR_RETURN(node::NodeOptions o, node::LoadConfig(ctx.node_dir));
        o.listen = net.listen;
        o.parent = net.parent;
        o.parent_unit = net.parent_unit;
        o.plaintext = net.plaintext;
        RETURN_IF_ERROR(node::WriteConfig(o));
        RETURN_IF_ERROR(node::LoadConfig(ctx.node_dir).status());
      }
      RETURN_IF_ERROR(connect());
      ASSIGN_OR_RETURN(v1::IdentityReply me,
                       Call(&v1::Admin::Stub::Identity, client->admin(), v1::IdentityRequest()));
      std::cout << (ctx.lang() == Lang::kZh ? "节点已初始化: " : "node initialised: ") << me.unit()
                << " " << me.name() << "  " << record::ToHex(me.public_key()) << "\n";
      return absl::OkStatus();
    };
  });

  // enroll
  auto* enroll = app.add_subcommand("enroll", "admit a child unit (UnitEnrolled) and write its enrolment file");
  v1::EnrollRequest enroll_req;
  std::string enroll_level, enroll_pk, enroll_out;
  enroll->add_option("--unit", *enroll_req.mutable_unit(), "child unit id")->required();
  enroll->add_option("--name", *enroll_req.mutable_name(), "child unit name")->required();
  enroll->add_option("--level", enroll_level, "city county township village department")->required();
  enroll->add_option("--public-key", enroll_pk, "child's public key (hex, from `rectsync keygen`)")->required();
  enroll->add_option("--out", enroll_out, "where to write the enrolment file")->required();
  enroll->callback([&] {
    action = [&]() -> absl::Status {
      ASSIGN_OR_RETURN(v1::Level level, ParseLevel(enroll_level));
      ASSIGN_OR_RETURN(std::string pk, record::FromHex(enroll_pk, "public-key"));
      enroll_req.set_level(level);
      enroll_req.set_public_key(pk);
      enroll_req.set_author(ctx.author);
      RETURN_IF_ERROR(connect());
      ASSIGN_OR_RETURN(v1::EnrollmentBundle bundle,
                       Call(&v1::Admin::Stub::Enroll, client->admin(), enroll_req));
      std::ofstream out(enroll_out, std::ios::binary);
      out << bundle.SerializeAsString();
      out.close();
      if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", enroll_out));
      std::cout << (ctx.lang() == Lang::kZh ? "已入网 " : "enrolled ") << enroll_req.unit() << " → "
                << enroll_out << "\n";
      return absl::OkStatus();
    };
  });

  // inspection open
  auto* inspection = app.add_subcommand("inspection", "inspection rounds (巡察)");
  inspection->require_subcommand(1);
  auto* insp_open = inspection->add_subcommand("open", "record an inspection round (InspectionOpened)");
  v1::InspectionOpened insp;
  insp_open->add_option("--id", *insp.mutable_inspection_id(), "local id, e.g. XC3 (default I<seq>)");
  insp_open->add_option("--body", *insp.mutable_inspecting_body(), "inspecting body, e.g. 县委第三巡察组")->required();
  insp_open->add_option("--unit", *insp.mutable_inspected_unit(), "inspected unit")->required();
  insp_open->add_option("--start", *insp.mutable_start_date(), "YYYY-MM-DD")->required();
  insp_open->add_option("--end", *insp.mutable_end_date(), "YYYY-MM-DD");
  insp_open->add_option("--feedback", *insp.mutable_feedback_date(), "feedback date YYYY-MM-DD");
  insp_open->callback([&] {
    action = [&]() -> absl::Status {
      RETURN_IF_ERROR(connect());
      if (!insp.inspection_id().empty()) {
        ASSIGN_OR_RETURN(*insp.mutable_inspection_id(), FullId(*client, insp.inspection_id()));
      }
      v1::RecordBody body;
      *body.mutable_inspection_opened() = insp;
      return AppendAndReport(ctx, *client, std::move(body));
    };
  });

  // problem raise|ls|show|amend
  auto* problem = app.add_subcommand("problem", "problems (问题)");
  problem->require_subcommand(1);
  auto* raise = problem->add_subcommand("raise", "raise a problem (ProblemRaised)");
  v1::ProblemRaised raised;
  std::string raise_source = "inspection", raise_local;
  raise->add_option("--id", raise_local, "local id (default P<seq>)");
  raise->add_option("--unit", *raised.mutable_unit(), "responsible unit (责任单位); default this node");
  raise->add_option("--category", *raised.mutable_category(), "category (类别)")->required();
  raise->add_option("--title", *raised.mutable_title(), "problem description (问题描述)")->required();
  raise->add_option("--detail", *raised.mutable_detail(), "detail");
  raise->add_option("--deadline", *raised.mutable_deadline(), "deadline 整改时限 YYYY-MM-DD");
  raise->add_option("--source", raise_source, "inspection visit petition audit self-check");
  raise->add_option("--inspection", *raised.mutable_inspection_id(), "inspection id");
  raise->callback([&] {
    action = [&]() -> absl::Status {
      ASSIGN_OR_RETURN(v1::Source source, ParseSource(raise_source));
      raised.set_source(source);
      RETURN_IF_ERROR(connect());
      ASSIGN_OR_RETURN(v1::IdentityReply me,
                       Call(&v1::Admin::Stub::Identity, client->admin(), v1::IdentityRequest()));
      if (raised.unit().empty()) raised.set_unit(me.unit());
      if (!raise_local.empty()) raised.set_problem_id(absl::StrCat(me.unit(), ":", raise_local));
      if (!raised.inspection_id().empty()) {
        ASSIGN_OR_RETURN(*raised.mutable_inspection_id(), FullId(*client, raised.inspection_id()));
      }
      v1::RecordBody body;
      *body.mutable_problem_raised() = raised;
      return AppendAndReport(ctx, *client, std::move(body));
    };
  });

  auto* ls = problem->add_subcommand("ls", "list problems of a subtree");
  v1::ListProblemsRequest ls_req;
  std::string ls_status;
  ls->add_option("--unit", *ls_req.mutable_unit(), "subtree root (default this node)");
  ls->add_option("--status", ls_status, "open in-progress claimed accepted closed");
  ls->add_option("--category", *ls_req.mutable_category(), "category");
  ls->add_option("--colour", *ls_req.mutable_colour(), "red yellow green")
      ->check(CLI::IsMember({"red", "yellow", "green"}));
  ls->add_option("--today", *ls_req.mutable_today(), "evaluate deadlines as of YYYY-MM-DD");
  std::string ls_source;
  ls->add_option("--source", ls_source, "inspection visit petition audit self-check");
  ls->add_flag("--overdue", [&](int64_t) { ls_req.set_overdue(true); }, "only overdue (red) problems");
  uint32_t ls_page_size = 0;
  ls->add_option("--page-size", ls_page_size, "at most this many rows; prints the next page token");
  ls->add_option("--page-token", *ls_req.mutable_page_token(), "continue after a previous page");
  ls->callback([&] {
    action = [&]() -> absl::Status {
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
    };
  });

  auto* show = problem->add_subcommand("show", "a problem's state and its full signed history");
  std::string show_id;
  show->add_option("id", show_id, "problem id (or P<n> on its own node)")->required();
  show->callback([&] {
    action = [&]() -> absl::Status {
      RETURN_IF_ERROR(connect());
      v1::GetProblemRequest req;
      ASSIGN_OR_RETURN(*req.mutable_problem_id(), FullId(*client, show_id));
      ASSIGN_OR_RETURN(v1::ProblemDetail d, Call(&v1::Admin::Stub::GetProblem, client->admin(), req));
      std::cout << (ctx.json ? DetailJson(d).dump(2) + "\n" : RenderDetail(ctx.lang(), d));
      return absl::OkStatus();
    };
  });

  auto* amend = problem->add_subcommand("amend", "amend deadline, title, category or responsible unit");
  std::string amend_id, amend_deadline, amend_title, amend_category, amend_unit, amend_reason;
  amend->add_option("id", amend_id, "problem id")->required();
  auto* amend_deadline_opt = amend->add_option("--deadline", amend_deadline, "new deadline");
  auto* amend_title_opt = amend->add_option("--title", amend_title, "new title");
  auto* amend_category_opt = amend->add_option("--category", amend_category, "new category");
  auto* amend_unit_opt = amend->add_option("--unit", amend_unit, "new responsible unit");
  amend->add_option("--reason", amend_reason, "why");
  amend->callback([&] {
    action = [&]() -> absl::Status {
      RETURN_IF_ERROR(connect());
      v1::RecordBody body;
      auto* e = body.mutable_problem_amended();
      ASSIGN_OR_RETURN(*e->mutable_problem_id(), FullId(*client, amend_id));
      if (amend_deadline_opt->count()) e->set_deadline(amend_deadline);
      if (amend_title_opt->count()) e->set_title(amend_title);
      if (amend_category_opt->count()) e->set_category(amend_category);
      if (amend_unit_opt->count()) e->set_unit(amend_unit);
      e->set_reason(amend_reason);
      return AppendAndReport(ctx, *client, std::move(body));
    };
  });

  // measure add
  auto* measure = app.add_subcommand("measure", "rectification measures (整改措施)");
  measure->require_subcommand(1);
  auto* measure_add = measure->add_subcommand("add", "add a measure to a problem (MeasureAdded)");
  std::string measure_problem, measure_local;
  v1::MeasureAdded measure_added;
  measure_add->add_option("problem", measure_problem, "problem id")->required();
  measure_add->add_option("--text", *measure_added.mutable_text(), "the measure")->required();
  measure_add->add_option("--deadline", *measure_added.mutable_deadline(), "YYYY-MM-DD");
  measure_add->add_option("--id", measure_local, "local id (default M<seq>)");
  measure_add->callback([&] {
    action = [&]() -> absl::Status {
      RETURN_IF_ERROR(connect());
      ASSIGN_OR_RETURN(*measure_added.mutable_problem_id(), FullId(*client, measure_problem));
      if (!measure_local.empty()) {
        ASSIGN_OR_RETURN(*measure_added.mutable_measure_id(), FullId(*client, measure_local));
      }
      v1::RecordBody body;
      *body.mutable_measure_added() = measure_added;
      return AppendAndReport(ctx, *client, std::move(body));
    };
  });

  // progress
  auto* progress = app.add_subcommand("progress", "report progress on a problem or measure (ProgressReported)");
  std::string progress_problem, progress_measure;
  std::vector<std::string> evidence_files;
  v1::ProgressReported progress_event;
  double funds_yuan = 0;
  int64_t disciplined = 0, handled = 0, accountable = 0, rules = 0;
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
  progress->callback([&] {
    action = [&]() -> absl::Status {
      RETURN_IF_ERROR(record::InitCrypto());
      RETURN_IF_ERROR(connect());
      ASSIGN_OR_RETURN(*progress_event.mutable_problem_id(), FullId(*client, progress_problem));
      if (!progress_measure.empty()) {
        ASSIGN_OR_RETURN(*progress_event.mutable_measure_id(), FullId(*client, progress_measure));
      }
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
    };
  });

  // claim
  auto* claim = app.add_subcommand("claim", "claim completion (申请销号) (CompletionClaimed)");
  std::string claim_problem, claim_kind = "completed", claim_note;
  claim->add_option("problem", claim_problem, "problem id")->required();
  claim->add_option("--kind", claim_kind, "completed basically-completed long-term");
  claim->add_option("--note", claim_note, "note");
  claim->callback([&] {
    action = [&]() -> absl::Status {
      RETURN_IF_ERROR(connect());
      v1::RecordBody body;
      auto* e = body.mutable_completion_claimed();
      ASSIGN_OR_RETURN(*e->mutable_problem_id(), FullId(*client, claim_problem));
      ASSIGN_OR_RETURN(v1::ClaimKind kind, ParseClaimKind(claim_kind));
      e->set_kind(kind);
      e->set_note(claim_note);
      return AppendAndReport(ctx, *client, std::move(body));
    };
  });

  // review
  auto* review = app.add_subcommand("review", "review a claim (审核/验收) (ClaimReviewed)");
  std::string review_problem, review_claim, review_note;
  bool accept = false, reject = false;
  review->add_option("problem", review_problem, "problem id")->required();
  auto* accept_flag = review->add_flag("--accept", accept, "accept the claim");
  review->add_flag("--reject", reject, "reject the claim")->excludes(accept_flag);
  review->add_option("--claim", review_claim, "claim record id (hex; default the pending claim)");
  review->add_option("--note", review_note, "note (required for a rejection)");
  review->callback([&] {
    action = [&]() -> absl::Status {
      if (accept == reject) return absl::InvalidArgumentError("review: give --accept or --reject");
      RETURN_IF_ERROR(connect());
      v1::RecordBody body;
      auto* e = body.mutable_claim_reviewed();
      ASSIGN_OR_RETURN(*e->mutable_problem_id(), FullId(*client, review_problem));
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
    };
  });

  // close / reopen
  auto* close = app.add_subcommand("close", "close an accepted problem (销号) (ProblemClosed)");
  std::string close_problem, close_note;
  close->add_option("problem", close_problem, "problem id")->required();
  close->add_option("--note", close_note, "note");
  close->callback([&] {
    action = [&]() -> absl::Status {
      RETURN_IF_ERROR(connect());
      v1::RecordBody body;
      ASSIGN_OR_RETURN(*body.mutable_problem_closed()->mutable_problem_id(), FullId(*client, close_problem));
      body.mutable_problem_closed()->set_note(close_note);
      return AppendAndReport(ctx, *client, std::move(body));
    };
  });
  auto* reopen = app.add_subcommand("reopen", "reopen a problem found back (回头看) (ProblemReopened)");
  std::string reopen_problem, reopen_reason;
  reopen->add_option("problem", reopen_problem, "problem id")->required();
  reopen->add_option("--reason", reopen_reason, "what the look-back found")->required();
  reopen->callback([&] {
    action = [&]() -> absl::Status {
      RETURN_IF_ERROR(connect());
      v1::RecordBody body;
      ASSIGN_OR_RETURN(*body.mutable_problem_reopened()->mutable_problem_id(), FullId(*client, reopen_problem));
      body.mutable_problem_reopened()->set_reason(reopen_reason);
      return AppendAndReport(ctx, *client, std::move(body));
    };
  });

  // figures report
  auto* figures = app.add_subcommand("figures", "aggregate indicator figures (FiguresReported)");
  figures->require_subcommand(1);
  auto* fig_report = figures->add_subcommand("report", "report indicator values for a period");
  std::string fig_unit, fig_period;
  std::vector<std::string> fig_values;
  fig_report->add_option("--unit", fig_unit, "unit reported for (default this node)");
  fig_report->add_option("--period", fig_period, "YYYY, YYYY-Qn or YYYY-MM")->required();
  fig_report->add_option("--set", fig_values, "indicator=value (repeatable)")->required();
  fig_report->callback([&] {
    action = [&]() -> absl::Status {
      RETURN_IF_ERROR(connect());
      v1::RecordBody body;
      auto* e = body.mutable_figures_reported();
      if (fig_unit.empty()) {
        ASSIGN_OR_RETURN(v1::IdentityReply me,
                         Call(&v1::Admin::Stub::Identity, client->admin(), v1::IdentityRequest()));
        fig_unit = me.unit();
      }
      e->set_unit(fig_unit);
      e->set_period(fig_period);
      for (const std::string& kv : fig_values) {
        size_t eq = kv.rfind('=');
        int64_t v = 0;
        if (eq == std::string::npos || eq == 0 ||
            !absl::SimpleAtoi(absl::string_view(kv).substr(eq + 1), &v)) {
          return absl::InvalidArgumentError(
              absl::StrCat("--set: \"", kv, "\" is not indicator=integer"));
        }
        v1::Figure* f = e->add_figures();
        f->set_indicator(kv.substr(0, eq));
        f->set_value(v);
      }
      return AppendAndReport(ctx, *client, std::move(body));
    };
  });

  // summary
  auto* summary = app.add_subcommand("summary", "subtree summary: status, colour, completion rates (整改率)");
  v1::SummaryRequest sum_req;
  sum_req.set_children(true);
  summary->add_option("--unit", *sum_req.mutable_unit(), "unit (default this node)");
  summary->add_option("--today", *sum_req.mutable_today(), "evaluate deadlines as of YYYY-MM-DD");
  summary->add_flag("--live", [&](int64_t) { sum_req.set_live(true); },
                    "ask the child node that owns --unit for its current summary");
  summary->add_flag("--frontier", [&](int64_t) { sum_req.set_frontier(true); },
                    "list the records (origin and seq) the answer reflects");
  summary->callback([&] {
    action = [&]() -> absl::Status {
      RETURN_IF_ERROR(connect());
      ASSIGN_OR_RETURN(v1::Summary s, Call(&v1::Admin::Stub::GetSummary, client->admin(), sum_req));
      std::cout << (ctx.json ? SummaryJson(s).dump(2) + "\n" : RenderSummary(ctx.lang(), s));
      if (!ctx.json) std::cout << RenderProvenance(ctx.lang(), s);
      return absl::OkStatus();
    };
  });

  // reconcile
  auto* reconcile = app.add_subcommand(
      "reconcile", "check attested summaries and reported figures against the ledger (对账)");
  v1::ReconcileRequest rec_req;
  reconcile->add_option("--unit", *rec_req.mutable_unit(), "subtree root (default this node)");
  reconcile->callback([&] {
    action = [&]() -> absl::Status {
      RETURN_IF_ERROR(connect());
      ASSIGN_OR_RETURN(v1::ReconcileReply r, Call(&v1::Admin::Stub::Reconcile, client->admin(), rec_req));
      std::cout << (ctx.json ? ReconcileJson(r).dump(2) + "\n" : RenderReconcile(ctx.lang(), r));
      return absl::OkStatus();
    };
  });

  // verify
  auto* verify = app.add_subcommand("verify", "re-check every chain link and signature in the ledger");
  verify->callback([&] {
    action = [&]() -> absl::Status {
      RETURN_IF_ERROR(connect());
      ASSIGN_OR_RETURN(v1::VerifyReply v, Call(&v1::Admin::Stub::Verify, client->admin(), v1::VerifyRequest()));
      std::cout << (ctx.json ? VerifyJson(v).dump(2) + "\n" : RenderVerify(ctx.lang(), v));
      if (!v.ok()) return absl::DataLossError("ledger verification failed");
      return absl::OkStatus();
    };
  });

  // export / import: the ledger (整改台账) as CSV or .xlsx for Excel (node/ledger/formats.h)
  auto* ledger_export = app.add_subcommand("export", "a subtree's ledger (整改台账) as CSV or .xlsx for Excel");
  std::string export_unit, export_out, export_format;
  ledger::ExportOptions export_options;
  ledger_export->add_option("--unit", export_unit, "subtree root (default this node)");
  ledger_export->add_option("--out", export_out, "file to write (default standard output)");
  ledger_export->add_option("--format", export_format, "csv or xlsx (default: by --out's extension, else csv)")
      ->check(CLI::IsMember({"csv", "xlsx"}));
  ledger_export->add_flag("--ids", export_options.ids,
                          "node ids in 问题编号/措施编号 instead of ledger numbers (a round trip then "
                          "differs in those columns)");
  ledger_export->callback([&] {
    action = [&]() -> absl::Status {
      RETURN_IF_ERROR(connect());
      v1::ListProblemsRequest req;
      req.set_unit(export_unit);
      std::vector<v1::ProblemState> problems;
      do {
        ASSIGN_OR_RETURN(v1::ListProblemsReply page,
                         Call(&v1::Admin::Stub::ListProblems, client->admin(), req));
        for (v1::ProblemRow& row : *page.mutable_problems()) {
          problems.push_back(std::move(*row.mutable_state()));
        }
        req.set_page_token(page.next_page_token());
      } while (!req.page_token().empty());
      const size_t count = problems.size();
      const bool xlsx = export_format.empty() ? absl::EndsWith(export_out, ".xlsx") : export_format == "xlsx";
      std::string bytes;
      if (xlsx) {
        ASSIGN_OR_RETURN(bytes, ledger::LedgerXlsx(std::move(problems), export_options));
      } else {
        bytes = ledger::LedgerCsv(std::move(problems), export_options);
      }
      if (export_out.empty()) {
        std::cout << bytes << std::flush;
        return std::cout ? absl::OkStatus() : absl::UnavailableError("cannot write standard output");
      }
      // Written beside and renamed: a failed export leaves no half ledger.
      const std::string tmp = export_out + ".tmp";
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << bytes;
      out.close();
      if (!out || std::rename(tmp.c_str(), export_out.c_str()) != 0) {
        std::remove(tmp.c_str());
        return absl::UnavailableError(absl::StrCat("cannot write ", export_out));
      }
      if (ctx.json) {
        std::cout << nlohmann::json{{"file", export_out}, {"problems", count}}.dump() << "\n";
      } else {
        std::cout << (ctx.lang() == Lang::kZh ? "已导出 " : "exported ") << count
                  << (ctx.lang() == Lang::kZh ? " 个问题 → " : " problems → ") << export_out << "\n";
      }
      return absl::OkStatus();
    };
  });

  // report: the 通报 (node/ledger/report.h)
  auto* report = app.add_subcommand(
      "report", "the progress report (巡察整改进展情况通报) of an inspection or a subtree, each figure with its records");
  v1::ReportRequest report_req;
  report->add_option("--unit", *report_req.mutable_unit(), "subtree root (default this node)");
  report->add_option("--inspection", *report_req.mutable_inspection_id(), "only this inspection's problems");
  report->callback([&] {
    action = [&]() -> absl::Status {
      RETURN_IF_ERROR(connect());
      if (!report_req.inspection_id().empty()) {
        ASSIGN_OR_RETURN(*report_req.mutable_inspection_id(), FullId(*client, report_req.inspection_id()));
      }
      ASSIGN_OR_RETURN(v1::ReportReply got, Call(&v1::Admin::Stub::Report, client->admin(), report_req));
      std::vector<v1::ProblemDetail> problems(got.problems().begin(), got.problems().end());
      ledger::Bulletin b = ledger::BuildBulletin(problems, got.unit(), got.inspection(), got.today());
      if (ctx.json) {
        std::cout << BulletinJson(b).dump(2) << "\n";
        return absl::OkStatus();
      }
      std::map<std::string, std::string> names(got.unit_names().begin(), got.unit_names().end());
      ASSIGN_OR_RETURN(v1::IdentityReply me, Call(&v1::Admin::Stub::Identity, client->admin(), v1::IdentityRequest()));
      names[me.unit()] = me.name();
      std::cout << ledger::BulletinText(b, [&](const std::string& u) { return names.count(u) ? names[u] : ""; });
      return absl::OkStatus();
    };
  });

  auto* ledger_import = app.add_subcommand(
      "import", "import a ledger (整改台账, CSV or .xlsx) as this node's records: all or none");
  std::string import_file;
  v1::ImportLedgerRequest import_req;
  bool import_dry_run = false, import_skip_refused = false;
  ledger_import->add_option("file", import_file, "CSV (UTF-8) or .xlsx, as `rectsync export` writes it")->required();
  ledger_import->add_option("--inspection", *import_req.mutable_inspection_id(),
                            "the inspection (巡察) that found these problems (`inspection open` gives its id)");
  ledger_import->add_flag("--dry-run", import_dry_run, "check the file and count what it would record; write nothing");
  ledger_import->add_flag("--skip-refused", import_skip_refused,
                          "import the other problems when some are refused (已验收, 已销号, work of a unit below)");
  ledger_import->callback([&] {
    action = [&]() -> absl::Status {
      const bool zh = ctx.lang() == Lang::kZh;
      ASSIGN_OR_RETURN(std::string bytes, ReadFile(import_file));
      if (bytes.size() > static_cast<size_t>(node::kMaxLedgerFileBytes)) {
        return absl::InvalidArgumentError(absl::StrCat(import_file, ": ", bytes.size(),
                                                       " bytes, more than a ledger file may have (",
                                                       node::kMaxLedgerFileBytes, ")"));
      }
      RETURN_IF_ERROR(connect());
      if (!import_req.inspection_id().empty()) {
        ASSIGN_OR_RETURN(*import_req.mutable_inspection_id(), FullId(*client, import_req.inspection_id()));
      }
      import_req.set_file(std::move(bytes));
      import_req.set_file_name(import_file);
      import_req.set_author(ctx.author);
      import_req.set_dry_run(import_dry_run);
      import_req.set_skip_refused(import_skip_refused);
      absl::StatusOr<v1::ImportLedgerReply> called =
          Call(&v1::Admin::Stub::ImportLedger, client->admin(), import_req);
      if (!called.ok()) {
        return absl::Status(called.status().code(), absl::StrCat(import_file, ": ", called.status().message()));
      }
      const v1::ImportLedgerReply& r = *called;
      if (ctx.json) {
        std::cout << ImportJson(import_file, import_dry_run, r).dump(2) << "\n";
      } else {
        std::cerr << RenderImportIssues(ctx.lang(), import_file, r);
      }
      if (!r.refusal().empty()) {
        auto code = r.errors_size() > 0 || r.refused_size() == 0 ? absl::StatusCode::kInvalidArgument
                                                                 : absl::StatusCode::kFailedPrecondition;
        std::string why = r.refusal();
        if (r.errors_size() == 0 && r.refused_size() > 0) {
          why = absl::StrCat(r.refused_size(), r.refused_size() == 1 ? " problem" : " problems",
                             " refused; nothing was written (--skip-refused imports the others)");
        }
        return absl::Status(code, absl::StrCat(import_file, ": ", why));
      }
      if (ctx.json) return absl::OkStatus();
      if (!r.written()) {
        std::cout << (zh ? absl::StrCat("检查通过: 可导入 ", r.problems(), " 个问题、", r.measures(), " 条措施, 共 ",
                                        r.records(), " 条记录 (试运行, 未写入)\n")
                         : absl::StrCat("checked: ", r.problems(), " problems, ", r.measures(), " measures, ",
                                        r.records(), " records (dry run, nothing written)\n"));
      } else {
        std::cout << (zh ? absl::StrCat("已导入 ", r.problems(), " 个问题、", r.measures(), " 条措施, 共 ",
                                        r.records(), " 条记录 #", r.first_seq(), "-#", r.last_seq(), "\n")
                         : absl::StrCat("imported ", r.problems(), " problems, ", r.measures(), " measures: ",
                                        r.records(), " records #", r.first_seq(), "-#", r.last_seq(), "\n"));
      }
      return absl::OkStatus();
    };
  });

  // restore
  auto* restore = app.add_subcommand(
      "restore", "rebuild this node from its parent's copy after its disk was lost");
  std::string restore_enrollment;
  node::NodeOptions restore_net;
  restore->add_option("--enrollment", restore_enrollment,
                      "enrolment file: the original if node.key was kept, a new one after re-enrolment")
      ->required();
  restore->add_option("--parent", restore_net.parent, "the parent's gRPC address")->required();
  restore->add_option("--listen", restore_net.listen, "public gRPC address for children");
  restore->add_flag("--plaintext", restore_net.plaintext, "allow plaintext gRPC (loopback only)");
  restore->add_option("--parent-unit", restore_net.parent_unit, "the parent's unit, if not the next one up");
  restore->callback([&] {
    action = [&]() -> absl::Status {
      if (ctx.node_dir.empty()) return absl::InvalidArgumentError("--node: required for restore");
      ASSIGN_OR_RETURN(std::string bytes, ReadFile(restore_enrollment));
      v1::EnrollmentBundle bundle;
      if (!bundle.ParseFromString(bytes)) {
        return absl::InvalidArgumentError(absl::StrCat(restore_enrollment, ": not an enrolment file"));
      }
      RETURN_IF_ERROR(node::Node::InitFromBundle(ctx.node_dir, bundle));
      ASSIGN_OR_RETURN(node::NodeOptions o, node::LoadConfig(ctx.node_dir));
      o.parent = restore_net.parent;
      o.listen = restore_net.listen;
      o.plaintext = restore_net.plaintext;
      o.parent_unit = restore_net.parent_unit;
      RETURN_IF_ERROR(node::WriteConfig(o));
      ASSIGN_OR_RETURN(o, node::LoadConfig(ctx.node_dir));
      ASSIGN_OR_RETURN(std::unique_ptr<node::Node> n, node::Node::Open(o));
      ASSIGN_OR_RETURN(std::unique_ptr<sync::SyncClient> sync, sync::SyncClient::Create(n.get()));
      ASSIGN_OR_RETURN(uint64_t restored, sync->RestoreFromParent());
      ASSIGN_OR_RETURN(v1::IdentityReply me, n->Identity());
      std::cout << (ctx.lang() == Lang::kZh ? "已从上级恢复 " : "restored from the parent: ") << restored
                << (ctx.lang() == Lang::kZh ? " 条记录; 本单位台账续接于 #" : " records; own log continues after #")
                << me.head_seq() << "\n";
      return absl::OkStatus();
    };
  });

  // status
  auto* status = app.add_subcommand("status", "sync links: last contact, pending records, lag, refusals, forks");
  status->callback([&] {
    action = [&]() -> absl::Status {
      RETURN_IF_ERROR(connect());
      ASSIGN_OR_RETURN(v1::SyncStatusReply st, Call(&v1::Admin::Stub::SyncStatus, client->admin(),
                                                     v1::SyncStatusRequest()));
      std::cout << (ctx.json ? SyncStatusJson(st).dump(2) + "\n" : RenderSyncStatus(ctx.lang(), st));
      return absl::OkStatus();
    };
  });

  // whoami
  AddUserCommands(app, &ctx.node_dir, &ctx.json, &action);

  auto* whoami = app.add_subcommand("whoami", "this node's unit, key and head");
  whoami->callback([&] {
    action = [&]() -> absl::Status {
      RETURN_IF_ERROR(connect());
      ASSIGN_OR_RETURN(v1::IdentityReply me,
                       Call(&v1::Admin::Stub::Identity, client->admin(), v1::IdentityRequest()));
      if (ctx.json) {
        std::cout << nlohmann::json{{"unit", me.unit()}, {"name", me.name()},
                                    {"level", LevelKey(me.level())},
                                    {"public_key", record::ToHex(me.public_key())},
                                    {"root_public_key", record::ToHex(me.root_public_key())},
                                    {"head_seq", me.head_seq()},
                                    {"head_id", record::ToHex(me.head_id())}}
                         .dump(2)
                  << "\n";
      } else {
        std::cout << me.unit() << " " << me.name() << " (" << Label(ctx.lang(), LevelKey(me.level()))
                  << ")\n  key " << record::ToHex(me.public_key()) << "\n  head #" << me.head_seq()
                  << " " << record::ToHex(me.head_id()).substr(0, 12) << "\n";
      }
      return absl::OkStatus();
    };
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (!action) return 2;
  absl::Status s = action();
  if (!s.ok()) {
    // Verification failure already printed its report.
    return Fail(s);
  }
  return 0;
}

}  // namespace rectsync::cli

int main(int argc, char** argv) { return rectsync::cli::Main(argc, argv); }
