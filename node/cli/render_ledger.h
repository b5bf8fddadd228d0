// Rendering of the ledger's answers: an import's findings, the 通报 as JSON.
#ifndef RECTSYNC_NODE_CLI_RENDER_LEDGER_H_
#define RECTSYNC_NODE_CLI_RENDER_LEDGER_H_

#include <string>

#include <nlohmann/json.hpp>

#include "node/cli/labels.h"
#include "node/ledger/report.h"
#include "rectsync/v1/admin.pb.h"

namespace rectsync::cli {

nlohmann::json BulletinJson(const ledger::Bulletin& b);
nlohmann::json ImportJson(const std::string& file, bool dry_run, const v1::ImportLedgerReply& r);
// "FILE: line 7, column 整改时限: ...", one line per error and refusal.
std::string RenderImportIssues(Lang lang, const std::string& file, const v1::ImportLedgerReply& r);
// One finding of an import, as "line 7, column 整改时限: ..." ("row 7" for .xlsx).
std::string LedgerIssueText(const std::string& line_word, const v1::LedgerIssue& issue);

}  // namespace rectsync::cli

#endif  // RECTSYNC_NODE_CLI_RENDER_LEDGER_H_
