
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

// The JSON API /api/v1/: the same operations as the pages, for scripts.
void Console::Impl::ApiRoutes() {
  // --- JSON API /api/v1/ (the same operations; session cookie + X-CSRF-Token). ---
  auto api_fail = [=](Request& r, const absl::Status& s) {
    send_json(r.res, HttpCode(s), {{"error", std::string(s.message())}, {"code", absl::StatusCodeToString(s.code())}});
  };
  server_->Get("/api/v1/session", guarded(Kind::kApi, false, [=](Request& r) {
    send_json(r.res, 200, {{"officer", r.officer.name}, {"author", Author(r.officer)}, {"role", RoleName(r.officer.role)},
                           {"unit", node_->unit()}, {"csrf", r.session.csrf}});
  }));
  server_->Get("/api/v1/summary", guarded(Kind::kApi, false, [=](Request& r) {
    absl::StatusOr<std::string> unit = unit_param(r);
    if (!unit.ok()) return api_fail(r, unit.status());
    v1::SummaryRequest req;
    req.set_unit(*unit);
    req.set_children(r.Param("children") != "0");
    absl::StatusOr<v1::Summary> s = node_->GetSummary(req);
    if (!s.ok()) return api_fail(r, s.status());
    send_json(r.res, 200, cli::SummaryJson(*s));
  }));
  server_->Get("/api/v1/problems", guarded(Kind::kApi, false, [=](Request& r) {
    LedgerFilter f;
    absl::StatusOr<v1::ListProblemsRequest> req = ledger_request(r, &f);
    if (!req.ok()) return api_fail(r, req.status());
    uint32_t size = kLedgerPage;
    if (!r.Param("page_size").empty() && !absl::SimpleAtoi(r.Param("page_size"), &size)) {
      return api_fail(r, absl::InvalidArgumentError("page_size: not a number"));
    }
    req->set_page_size(std::min<uint32_t>(size, 1000));
    absl::StatusOr<v1::ListProblemsReply> page = node_->ListProblems(*req);
    if (!page.ok()) return api_fail(r, page.status());
    nlohmann::json rows = nlohmann::json::array();
    for (const v1::ProblemRow& row : page->problems()) rows.push_back(cli::ProblemJson(row.state(), row.colour()));
    send_json(r.res, 200, {{"problems", rows}, {"next_page_token", page->next_page_token()}});
  }));
  server_->Get("/api/v1/problem", guarded(Kind::kApi, false, [=](Request& r) {
    absl::StatusOr<v1::ProblemDetail> d = node_->GetProblem(r.Param("id"));
    if (!d.ok()) return api_fail(r, d.status());
    send_json(r.res, 200, cli::DetailJson(*d));
  }));
  // POST /api/v1/act/<action> with the form's fields as a JSON object.
  server_->Post(R"(/api/v1/act/([a-z]+))", guarded(Kind::kApi, true, [=](Request& r) {
    nlohmann::json in = nlohmann::json::parse(r.http.body, nullptr, false);
    if (in.is_discarded() || !in.is_object()) {
      return api_fail(r, absl::InvalidArgumentError("body: not a JSON object of the form's fields"));
    }
    auto field = [&](const std::string& k) -> std::string {
      if (!in.contains(k)) return "";
      const nlohmann::json& v = in[k];
      if (v.is_string()) return v.get<std::string>();
      if (v.is_boolean()) return v.get<bool>() ? "on" : "";
      return v.dump();
    };
    absl::StatusOr<v1::RecordBody> body = BodyFromForm(r.http.matches[1], field);
    absl::StatusOr<v1::AppendReply> reply = body.ok() ? append(r, *std::move(body)) : body.status();
    if (!reply.ok()) return api_fail(r, reply.status());
    send_json(r.res, 200, {{"record_id", record::ToHex(reply->id())}, {"seq", reply->seq()}, {"subject", reply->subject()}});
  }));
}

}  // namespace rectsync::console
