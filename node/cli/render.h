// Rendering of node answers for people (zh/en text) and machines (JSON).
// Record ids and keys appear as lowercase hex.
#ifndef RECTSYNC_NODE_CLI_RENDER_H_
#define RECTSYNC_NODE_CLI_RENDER_H_

#include <string>

#include <nlohmann/json.hpp>

#include "node/cli/labels.h"
#include "rectsync/v1/admin.pb.h"

namespace rectsync::cli {

nlohmann::json ProblemJson(const v1::ProblemState& s, const std::string& colour);
nlohmann::json DetailJson(const v1::ProblemDetail& d);
nlohmann::json SummaryJson(const v1::Summary& s);
nlohmann::json VerifyJson(const v1::VerifyReply& v);

std::string RenderDetail(Lang lang, const v1::ProblemDetail& d);
std::string RenderList(Lang lang, const v1::ListProblemsReply& list);
std::string RenderSummary(Lang lang, const v1::Summary& s);
std::string RenderVerify(Lang lang, const v1::VerifyReply& v);

// One line describing a record's event, for histories.
std::string DescribeEvent(Lang lang, const v1::RecordBody& body);
// Local "YYYY-MM-DD HH:MM:SS" of an HLC stamp.
std::string StampTime(uint64_t hlc);
// Fen as yuan with two decimals.
std::string Yuan(int64_t fen);

}  // namespace rectsync::cli

#endif  // RECTSYNC_NODE_CLI_RENDER_H_
