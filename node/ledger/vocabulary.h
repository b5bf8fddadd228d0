// The ledger's vocabulary, shared by its export (table.cc) and its import
// (import.cc): the columns by position and the words of statuses, sources
// and claim kinds. Internal to node/ledger.
#ifndef RECTSYNC_NODE_LEDGER_VOCABULARY_H_
#define RECTSYNC_NODE_LEDGER_VOCABULARY_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "node/ledger/table.h"

namespace rectsync::ledger {


// Positions in kLedgerColumns.
// clang-format off
enum Column {
  kSeq, kProblemNo, kTitle, kDetail, kCategory, kSource, kUnit, kDeadline, kStatus, kClaim,
  kMeasureNo, kMeasure, kMeasureDeadline, kMeasureDone,
  kFunds, kDisciplined, kHandled, kAccountable, kRules, kColumnCount
};
// clang-format on
static_assert(sizeof(kLedgerColumns) / sizeof(kLedgerColumns[0]) == kColumnCount);

// Columns that describe the problem: repeated (or empty) on its later rows.
constexpr Column kProblemColumns[] = {kTitle, kDetail,   kCategory, kSource,
                                      kUnit,  kDeadline, kStatus,   kClaim};
constexpr Column kOutcomeColumns[] = {kFunds, kDisciplined, kHandled, kAccountable, kRules};
constexpr Column kRequired[] = {kTitle, kCategory, kSource, kUnit, kStatus, kMeasure};

constexpr int64_t kMaxAmount = int64_t{1} << 50;  // as aggregator::ValidateEvent

// The words of the ledger. Export writes the Chinese one; import also takes the
// English keys the CLI uses.
const std::map<std::string, v1::Status>& Statuses();
const std::map<std::string, v1::Source>& Sources();
const std::map<std::string, v1::ClaimKind>& Kinds();

template <typename E>
std::string WordOf(const std::map<std::string, E>& words, E value) {
  for (const auto& [word, v] : words) {
    if (v == value && static_cast<unsigned char>(word[0]) >= 0x80) return word;  // the Chinese one
  }
  return "";
}

template <typename E>
std::string ChineseWords(const std::map<std::string, E>& words) {
  std::vector<std::pair<E, std::string>> zh;
  for (const auto& [word, v] : words) {
    if (static_cast<unsigned char>(word[0]) >= 0x80) zh.emplace_back(v, word);
  }
  std::sort(zh.begin(), zh.end());
  std::vector<std::string> out;
  for (auto& [v, word] : zh) out.push_back(word);
  return absl::StrJoin(out, " ");
}

inline std::string Trim(absl::string_view s) { return std::string(absl::StripAsciiWhitespace(s)); }

}  // namespace rectsync::ledger

#endif  // RECTSYNC_NODE_LEDGER_VOCABULARY_H_
