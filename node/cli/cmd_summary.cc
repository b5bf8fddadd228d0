// `rectsync figures | summary | reconcile`: reported figures, the subtree's
// summary (整改率) and its reconciliation (对账) against the records.

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "aggregator/status_macros.h"
#include "node/cli/command.h"
#include "absl/strings/numbers.h"
#include "node/cli/render.h"
#include "node/cli/render_reconcile.h"

namespace rectsync::cli {
namespace {

class SummaryCommands : public CommandGroup {
 public:
  SummaryCommands(CLI::App& app, Session& session);

 private:
  std::string fig_unit, fig_period;
  std::vector<std::string> fig_values;
  v1::SummaryRequest sum_req;
  v1::ReconcileRequest rec_req;
};

SummaryCommands::SummaryCommands(CLI::App& app, Session& session) : CommandGroup(session) {
  // figures report
  auto* figures = app.add_subcommand("figures", "aggregate indicator figures (FiguresReported)");
  figures->require_subcommand(1);
  auto* fig_report = figures->add_subcommand("report", "report indicator values for a period");
  fig_report->add_option("--unit", fig_unit, "unit reported for (default this node)");
  fig_report->add_option("--period", fig_period, "YYYY, YYYY-Qn or YYYY-MM")->required();
  fig_report->add_option("--set", fig_values, "indicator=value (repeatable)")->required();
  on_run(fig_report, [this]() -> absl::Status {
    RETURN_IF_ERROR(connect());
    v1::RecordBody body;
    auto* e = body.mutable_figures_reported();
    if (fig_unit.empty()) {
      ASSIGN_OR_RETURN(v1::IdentityReply me, identity());
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
  });

  // summary
  auto* summary = app.add_subcommand("summary", "subtree summary: status, colour, completion rates (整改率)");
  sum_req.set_children(true);
  summary->add_option("--unit", *sum_req.mutable_unit(), "unit (default this node)");
  summary->add_option("--today", *sum_req.mutable_today(), "evaluate deadlines as of YYYY-MM-DD");
  summary->add_flag("--live", [&](int64_t) { sum_req.set_live(true); },
                    "ask the child node that owns --unit for its current summary");
  summary->add_flag("--frontier", [&](int64_t) { sum_req.set_frontier(true); },
                    "list the records (origin and seq) the answer reflects");
  on_run(summary, [this]() -> absl::Status {
    RETURN_IF_ERROR(connect());
    ASSIGN_OR_RETURN(v1::Summary s, Call(&v1::Admin::Stub::GetSummary, client->admin(), sum_req));
    std::cout << (ctx.json ? SummaryJson(s).dump(2) + "\n" : RenderSummary(ctx.lang(), s));
    if (!ctx.json) std::cout << RenderProvenance(ctx.lang(), s);
    return absl::OkStatus();
  });

  // reconcile
  auto* reconcile = app.add_subcommand(
      "reconcile", "check attested summaries and reported figures against the ledger (对账)");
  reconcile->add_option("--unit", *rec_req.mutable_unit(), "subtree root (default this node)");
  on_run(reconcile, [this]() -> absl::Status {
    RETURN_IF_ERROR(connect());
    ASSIGN_OR_RETURN(v1::ReconcileReply r, Call(&v1::Admin::Stub::Reconcile, client->admin(), rec_req));
    std::cout << (ctx.json ? ReconcileJson(r).dump(2) + "\n" : RenderReconcile(ctx.lang(), r));
    return absl::OkStatus();
  });
}

}  // namespace

std::unique_ptr<CommandGroup> AddSummaryCommands(CLI::App& app, Session& session) {
  return std::make_unique<SummaryCommands>(app, session);
}

}  // namespace rectsync::cli
