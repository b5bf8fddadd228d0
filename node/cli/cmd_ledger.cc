// `rectsync export | report | import`: the ledger (整改台账) as CSV or .xlsx,
// and the 通报 of an inspection or a subtree (node/ledger).

#include <cstdio>
#include <fstream>
#include <map>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "aggregator/status_macros.h"
#include "node/cli/command.h"
#include "absl/strings/match.h"
#include "node/cli/render.h"
#include "node/cli/render_ledger.h"
#include "node/daemon/node.h"
#include "node/ledger/formats.h"
#include "node/ledger/report.h"
#include "node/store/durable_file.h"

namespace rectsync::cli {
namespace {

class LedgerCommands : public CommandGroup {
 public:
  LedgerCommands(CLI::App& app, Session& session);

 private:
  std::string export_unit, export_out, export_format;
  ledger::ExportOptions export_options;
  v1::ReportRequest report_req;
  std::string import_file;
  v1::ImportLedgerRequest import_req;
  bool import_dry_run = false, import_skip_refused = false;
};

LedgerCommands::LedgerCommands(CLI::App& app, Session& session) : CommandGroup(session) {
  // export / import: the ledger (整改台账) as CSV or .xlsx for Excel (node/ledger/formats.h)
  auto* ledger_export = app.add_subcommand("export", "a subtree's ledger (整改台账) as CSV or .xlsx for Excel");
  ledger_export->add_option("--unit", export_unit, "subtree root (default this node)");
  ledger_export->add_option("--out", export_out, "file to write (default standard output)");
  ledger_export->add_option("--format", export_format, "csv or xlsx (default: by --out's extension, else csv)")
      ->check(CLI::IsMember({"csv", "xlsx"}));
  ledger_export->add_flag("--ids", export_options.ids,
                          "node ids in 问题编号/措施编号 instead of ledger numbers (a round trip then "
                          "differs in those columns)");
  on_run(ledger_export, [this]() -> absl::Status {
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
    // A failed export leaves no half ledger.
    RETURN_IF_ERROR(store::ReplaceFileDurably(export_out, bytes, 0644));
    if (ctx.json) {
      std::cout << nlohmann::json{{"file", export_out}, {"problems", count}}.dump() << "\n";
    } else {
      std::cout << (ctx.lang() == Lang::kZh ? "已导出 " : "exported ") << count
                << (ctx.lang() == Lang::kZh ? " 个问题 → " : " problems → ") << export_out << "\n";
    }
    return absl::OkStatus();
  });

  // report: the 通报 (node/ledger/report.h)
  auto* report = app.add_subcommand(
      "report", "the progress report (巡察整改进展情况通报) of an inspection or a subtree, each figure with its records");
  report->add_option("--unit", *report_req.mutable_unit(), "subtree root (default this node)");
  report->add_option("--inspection", *report_req.mutable_inspection_id(), "only this inspection's problems");
  on_run(report, [this]() -> absl::Status {
    RETURN_IF_ERROR(connect());
    ASSIGN_OR_RETURN(*report_req.mutable_inspection_id(), full_id(report_req.inspection_id()));
    ASSIGN_OR_RETURN(v1::ReportReply got, Call(&v1::Admin::Stub::Report, client->admin(), report_req));
    std::vector<v1::ProblemDetail> problems(got.problems().begin(), got.problems().end());
    ledger::Bulletin b = ledger::BuildBulletin(problems, got.unit(), got.inspection(), got.today());
    if (ctx.json) {
      std::cout << BulletinJson(b).dump(2) << "\n";
      return absl::OkStatus();
    }
    std::map<std::string, std::string> names(got.unit_names().begin(), got.unit_names().end());
    ASSIGN_OR_RETURN(v1::IdentityReply me, identity());
    names[me.unit()] = me.name();
    std::cout << ledger::BulletinText(b, [&](const std::string& u) { return names.count(u) ? names[u] : ""; });
    return absl::OkStatus();
  });

  auto* ledger_import = app.add_subcommand(
      "import", "import a ledger (整改台账, CSV or .xlsx) as this node's records: all or none");
  ledger_import->add_option("file", import_file, "CSV (UTF-8) or .xlsx, as `rectsync export` writes it")->required();
  ledger_import->add_option("--inspection", *import_req.mutable_inspection_id(),
                            "the inspection (巡察) that found these problems (`inspection open` gives its id)");
  ledger_import->add_flag("--dry-run", import_dry_run, "check the file and count what it would record; write nothing");
  ledger_import->add_flag("--skip-refused", import_skip_refused,
                          "import the other problems when some are refused (已验收, 已销号, work of a unit below)");
  on_run(ledger_import, [this]() -> absl::Status {
    const bool zh = ctx.lang() == Lang::kZh;
    ASSIGN_OR_RETURN(std::string bytes, ReadFile(import_file));
    if (bytes.size() > static_cast<size_t>(node::kMaxLedgerFileBytes)) {
      return absl::InvalidArgumentError(absl::StrCat(import_file, ": ", bytes.size(),
                                                     " bytes, more than a ledger file may have (",
                                                     node::kMaxLedgerFileBytes, ")"));
    }
    RETURN_IF_ERROR(connect());
    ASSIGN_OR_RETURN(*import_req.mutable_inspection_id(), full_id(import_req.inspection_id()));
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
  });
}

}  // namespace

std::unique_ptr<CommandGroup> AddLedgerCommands(CLI::App& app, Session& session) {
  return std::make_unique<LedgerCommands>(app, session);
}

}  // namespace rectsync::cli
