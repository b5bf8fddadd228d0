// The console's page bodies, rendered from the node's answers. Pure: the
// caller (console.cc) asks the node and passes what it got; nothing here
// reads the store or the request.
#ifndef RECTSYNC_NODE_CONSOLE_PAGES_H_
#define RECTSYNC_NODE_CONSOLE_PAGES_H_

#include <map>
#include <string>
#include <vector>

#include "node/console/html.h"
#include "node/console/officers.h"
#include "node/ledger/report.h"
#include "rectsync/v1/admin.pb.h"
#include "rectsync/v1/sync.pb.h"

namespace rectsync::console {

// Units this node knows of, from the enrolments it holds: id -> name.
using UnitNames = std::map<std::string, std::string>;

// What every page body needs besides its data.
struct View {
  Lang lang = Lang::kZh;
  std::string node_unit;
  const Officer* officer = nullptr;
  std::string csrf;
  const UnitNames* names = nullptr;
  int64_t now_ms = 0;
  int64_t stale_after_ms = 0;
  // "2024-06-30": the date colours are computed for.
  std::string today;

  // "江宁区 320115": the name with the last part of the id.
  std::string Unit(const std::string& unit) const;
};

std::string LoginBody(Lang lang, const std::string& csrf, const std::string& next,
                      const std::string& name);

std::string OverviewBody(const View& v, const v1::Summary& summary, const v1::SyncStatusReply& sync);

// The ledger's filters, as the query string carries them.
struct LedgerFilter {
  std::string unit, status, category, colour, inspection, before, text, page;
  // The query string of these filters (without page), for links.
  std::string Query() const;
};
std::string LedgerBody(const View& v, const LedgerFilter& filter, const v1::ListProblemsReply& page,
                       const std::vector<std::string>& units,
                       const std::vector<v1::InspectionOpened>& inspections);

std::string ProblemBody(const View& v, const v1::ProblemDetail& detail);

std::string NewBody(const View& v, const std::vector<std::string>& units,
                    const std::vector<v1::InspectionOpened>& inspections);

// The import page: the upload form, and for a submitted file (`result`
// non-null) what the check or the import found, row by row.
std::string ImportBody(const View& v, const std::string& file_name, const v1::ImportLedgerReply* result,
                       const std::vector<v1::InspectionOpened>& inspections);

// The 通报 of `bulletin` as a print-ready page: every figure links to the
// list of records it was counted from, each record to its problem.
std::string ReportBody(const View& v, const ledger::Bulletin& bulletin, const std::string& query);

std::string SyncBody(const View& v, const v1::SyncStatusReply& sync);

std::string ReconcileBody(const View& v, const v1::ReconcileReply& reply);

std::string OfficersBody(const View& v, const std::vector<Officer>& officers);

}  // namespace rectsync::console

#endif  // RECTSYNC_NODE_CONSOLE_PAGES_H_
