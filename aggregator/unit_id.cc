#include "aggregator/unit_id.h"

#include "absl/strings/str_cat.h"

namespace rectsync::aggregator {
namespace {

bool SegmentChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '_' || c == '-';
}

bool LocalChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         c == '_' || c == '-' || c == '.';
}

}  // namespace

absl::Status ValidateUnitId(absl::string_view id, absl::string_view field) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": unit id \"", id, "\" ", why));
  };
  if (id.empty()) return bad("is empty");
  if (id.size() > kMaxUnitIdLength) return bad("is longer than 200 characters");
  int depth = 0;
  size_t start = 0;
  while (true) {
    size_t end = id.find('/', start);
    absl::string_view seg = id.substr(start, end == absl::string_view::npos ? id.npos : end - start);
    if (seg.empty()) return bad("has an empty segment");
    if (seg.size() > kMaxSegmentLength) return bad("has a segment longer than 32 characters");
    for (char c : seg) {
      if (!SegmentChar(c)) return bad("may use only 0-9 a-z _ - and / between segments");
    }
    if (++depth > kMaxUnitDepth) return bad("is deeper than 8 levels");
    if (end == absl::string_view::npos) break;
    start = end + 1;
  }
  return absl::OkStatus();
}

bool InSubtree(absl::string_view unit, absl::string_view root) {
  if (unit.size() < root.size() || unit.substr(0, root.size()) != root) return false;
  return unit.size() == root.size() || unit[root.size()] == '/';
}

bool StrictlyBelow(absl::string_view unit, absl::string_view ancestor) {
  return unit.size() > ancestor.size() && InSubtree(unit, ancestor);
}

int UnitDepth(absl::string_view unit) {
  if (unit.empty()) return 0;
  int depth = 1;
  for (char c : unit) depth += c == '/';
  return depth;
}

std::string ParentUnit(absl::string_view unit) {
  size_t slash = unit.rfind('/');
  return slash == absl::string_view::npos ? std::string() : std::string(unit.substr(0, slash));
}

std::vector<std::string> SelfAndAncestors(absl::string_view unit) {
  std::vector<std::string> out;
  std::string u(unit);
  while (!u.empty()) {
    out.push_back(u);
    u = ParentUnit(u);
  }
  return out;
}

std::string ChildToward(absl::string_view unit, absl::string_view root) {
  size_t next = unit.find('/', root.size() + 1);
  return std::string(unit.substr(0, next));
}

absl::Status ValidateLocalId(absl::string_view id, absl::string_view field) {
  size_t colon = id.rfind(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": id \"", id, "\" must be <unit>:<local>"));
  }
  if (absl::Status s = ValidateUnitId(id.substr(0, colon), field); !s.ok()) return s;
  absl::string_view local = id.substr(colon + 1);
  if (local.empty() || local.size() > 40) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": local part of \"", id, "\" must be 1..40 characters"));
  }
  for (char c : local) {
    if (!LocalChar(c)) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": local part of \"", id, "\" may use only A-Z a-z 0-9 . _ -"));
    }
  }
  return absl::OkStatus();
}

absl::string_view IdOrigin(absl::string_view id) {
  size_t colon = id.rfind(':');
  return colon == absl::string_view::npos ? absl::string_view() : id.substr(0, colon);
}

}  // namespace rectsync::aggregator
