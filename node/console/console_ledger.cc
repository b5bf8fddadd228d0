
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "aggregator/status_macros.h"
#include "aggregator/unit_id.h"
#include "node/cli/render.h"
#include "node/console/console_impl.h"
#include "node/console/forms.h"
#include "node/console/html.h"
#include "node/console/pages.h"
#include "node/ledger/formats.h"
#include "node/record/codec.h"
#include "node/record/keys.h"

namespace rectsync::console {

// 台账 with its CSV/.xlsx exports and template, the 通报, and 导入.
void Console::Impl::LedgerRoutes() {
  // --- Ledger 台账 and its CSV export. ---

  server_->Get("/ledger", guarded(Kind::kPage, false, [=](Request& r) {
    LedgerFilter f;
    absl::StatusOr<v1::ListProblemsRequest> req = ledger_request(r, &f);
    if (!req.ok()) return fail_page(r, req.status());
    req->set_page_size(kLedgerPage);
    absl::StatusOr<v1::ListProblemsReply> page = node_->ListProblems(*req);
    if (!page.ok()) return fail_page(r, page.status());
    UnitNames n;
    View v = view(r, &n);
    Frame fr = frame(r, T(r.lang, "台账", "Ledger"));
    fr.breadcrumbs = crumbs(v, req->unit(), "/ledger");
    send(r.res, 200, Page(fr, LedgerBody(v, f, *page, subtree_units(), inspections())));
  }));
  // Exactly the problems the filters select (all pages), as CSV or .xlsx.
  auto export_ledger = [=](Request& r, bool xlsx) {
    LedgerFilter f;
    absl::StatusOr<v1::ListProblemsRequest> req = ledger_request(r, &f);
    if (!req.ok()) return fail_page(r, req.status());
    req->set_page_token("");
    std::vector<v1::ProblemState> problems;
    do {
      absl::StatusOr<v1::ListProblemsReply> page = node_->ListProblems(*req);
      if (!page.ok()) return fail_page(r, page.status());
      for (v1::ProblemRow& row : *page->mutable_problems()) problems.push_back(std::move(*row.mutable_state()));
      req->set_page_token(page->next_page_token());
    } while (!req->page_token().empty());
    ledger::ExportOptions options;
    options.ids = true;
    send_file(r.res, xlsx ? "ledger.xlsx" : "ledger.csv",
              xlsx ? ledger::LedgerXlsx(std::move(problems), options) : ledger::LedgerCsv(std::move(problems), options));
  };
  server_->Get("/ledger.csv", guarded(Kind::kPage, false, [=](Request& r) { export_ledger(r, false); }));
  server_->Get("/ledger.xlsx", guarded(Kind::kPage, false, [=](Request& r) { export_ledger(r, true); }));
  // An empty ledger with its header, to fill in Excel and import.
  server_->Get("/ledger-template.csv", guarded(Kind::kPage, false, [=](Request& r) {
    send_file(r.res, "ledger-template.csv", ledger::LedgerCsv({}));
  }));
  server_->Get("/ledger-template.xlsx", guarded(Kind::kPage, false, [=](Request& r) {
    send_file(r.res, "ledger-template.xlsx", ledger::LedgerXlsx({}));
  }));

  // --- 通报: the progress report of an inspection or of a subtree. ---
  // The Bulletin points into `problems`, which the caller keeps.
  auto bulletin = [=](Request& r, std::vector<v1::ProblemDetail>* problems) -> absl::StatusOr<ledger::Bulletin> {
    ASSIGN_OR_RETURN(std::string unit, unit_param(r));
    v1::ReportRequest req;
    req.set_unit(unit);
    req.set_inspection_id(r.Param("inspection"));
    ASSIGN_OR_RETURN(v1::ReportReply got, node_->Report(req));
    problems->assign(std::make_move_iterator(got.mutable_problems()->begin()),
                     std::make_move_iterator(got.mutable_problems()->end()));
    return ledger::BuildBulletin(*problems, got.unit(), got.inspection(), got.today());
  };
  server_->Get("/report", guarded(Kind::kPage, false, [=](Request& r) {
    std::vector<v1::ProblemDetail> problems;
    absl::StatusOr<ledger::Bulletin> b = bulletin(r, &problems);
    if (!b.ok()) return fail_page(r, b.status());
    std::string query = absl::StrCat("unit=", UrlEncode(b->scope_unit));
    if (!r.Param("inspection").empty()) absl::StrAppend(&query, "&inspection=", UrlEncode(r.Param("inspection")));
    UnitNames n;
    View v = view(r, &n);
    Frame f = frame(r, T(r.lang, "通报", "Report"));
    f.breadcrumbs = crumbs(v, b->scope_unit, "/report");
    send(r.res, 200, Page(f, ReportBody(v, *b, query)));
  }));
  server_->Get("/report.txt", guarded(Kind::kPage, false, [=](Request& r) {
    std::vector<v1::ProblemDetail> problems;
    absl::StatusOr<ledger::Bulletin> b = bulletin(r, &problems);
    if (!b.ok()) return fail_page(r, b.status());
    UnitNames n = names();
    r.res.set_header("Cache-Control", "no-store");
    r.res.set_content(ledger::BulletinText(*b, [&](const std::string& u) { return n.count(u) ? n[u] : ""; }),
                      "text/plain; charset=utf-8");
  }));

  // --- Import 导入: check (dry run), then record all or none. ---
  server_->Get("/import", guarded(Kind::kPage, false, [=](Request& r) {
    UnitNames n;
    View v = view(r, &n);
    send(r.res, 200, Page(frame(r, T(r.lang, "导入台账", "Import")), ImportBody(v, "", nullptr, inspections())));
  }));
  server_->Post("/import", guarded(Kind::kPage, true, [=](Request& r) {
    UnitNames n;
    View v = view(r, &n);
    Frame f = frame(r, T(r.lang, "导入台账", "Import"));
    const bool dry_run = r.Param("mode") != "import";
    if (!dry_run && !CanWrite(r.officer.role)) {
      f.error = absl::StrCat("an officer in role ", RoleName(r.officer.role),
                             " may not import a ledger (needs clerk or admin)");
      return send(r.res, 403, Page(f, ImportBody(v, "", nullptr, inspections())));
    }
    if (!r.http.has_file("file") || r.http.get_file_value("file").content.empty()) {
      f.error = T(r.lang, "请选择一个台账文件。", "Choose a ledger file.");
      return send(r.res, 400, Page(f, ImportBody(v, "", nullptr, inspections())));
    }
    const httplib::MultipartFormData& file = r.http.get_file_value("file");
    v1::ImportLedgerRequest req;
    req.set_file(file.content);
    req.set_file_name(file.filename);
    req.set_author(Author(r.officer));
    req.set_dry_run(dry_run);
    req.set_skip_refused(r.Param("skip_refused") == "1");
    req.set_inspection_id(r.Param("inspection_id"));
    absl::StatusOr<v1::ImportLedgerReply> reply = node_->ImportLedger(req);
    if (!reply.ok()) {
      f.error = absl::StrCat(T(r.lang, "未写入:", "Nothing written: "), reply.status().message());
      return send(r.res, HttpCode(reply.status()), Page(f, ImportBody(v, file.filename, nullptr, inspections())));
    }
    send(r.res, reply->refusal().empty() ? 200 : 422, Page(f, ImportBody(v, file.filename, &*reply, inspections())));
  }));
}

}  // namespace rectsync::console
