// User-facing words, Chinese by default and English with --lang en, and the
// parsing of the words officers type (status, source, level, claim kind).
#ifndef RECTSYNC_NODE_CLI_LABELS_H_
#define RECTSYNC_NODE_CLI_LABELS_H_

#include <string>

#include "absl/status/statusor.h"
#include "rectsync/v1/state.pb.h"

namespace rectsync::cli {

enum class Lang { kZh, kEn };

// Label for a key such as "status/open", "colour/red", "field/deadline".
// Unknown keys are returned as they are.
std::string Label(Lang lang, const std::string& key);

absl::StatusOr<v1::Level> ParseLevel(const std::string& s);
absl::StatusOr<v1::Source> ParseSource(const std::string& s);
absl::StatusOr<v1::ClaimKind> ParseClaimKind(const std::string& s);
absl::StatusOr<v1::Status> ParseStatus(const std::string& s);
const char* LevelKey(v1::Level level);

}  // namespace rectsync::cli

#endif  // RECTSYNC_NODE_CLI_LABELS_H_
