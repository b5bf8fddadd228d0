#include "node/cli/labels.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"

namespace rectsync::cli {
namespace {

const std::map<std::string, std::pair<const char*, const char*>>& Table() {
  static const auto* table = new std::map<std::string, std::pair<const char*, const char*>>{
      {"status/open", {"待整改", "open"}},
      {"status/in_progress", {"整改中", "in progress"}},
      {"status/claimed", {"待验收", "claimed"}},
      {"status/accepted", {"已验收", "accepted"}},
      {"status/closed", {"已销号", "closed"}},
      {"source/inspection", {"巡察", "inspection"}},
      {"source/visit", {"走访", "visit"}},
      {"source/petition", {"信访", "petition"}},
      {"source/audit", {"审计", "audit"}},
      {"source/self_check", {"自查", "self-check"}},
      {"kind/completed", {"已完成", "completed"}},
      {"kind/basically_completed", {"基本完成", "basically completed"}},
      {"kind/long_term", {"长期坚持", "long-term"}},
      {"kind/none", {"-", "-"}},
      {"colour/red", {"红(逾期)", "red (overdue)"}},
      {"colour/yellow", {"黄(临期)", "yellow (due soon)"}},
      {"colour/green", {"绿", "green"}},
      {"colour/no_deadline", {"无时限", "no deadline"}},
      {"colour/", {"-", "-"}},
      {"verdict/0", {"待审核", "pending"}},
      {"verdict/1", {"通过", "accepted"}},
      {"verdict/2", {"退回", "rejected"}},
      {"level/city", {"市", "city"}},
      {"level/county", {"县(区)", "county"}},
      {"level/township", {"乡镇(街道)", "township"}},
      {"level/village", {"村(社区)", "village"}},
      {"level/department", {"部门", "department"}},
      {"level/province", {"省", "province"}},
      {"f/unit", {"单位", "unit"}},
      {"f/date", {"日期", "date"}},
      {"f/problem", {"问题", "problem"}},
      {"f/problems", {"问题数", "problems"}},
      {"f/title", {"问题描述", "title"}},
      {"f/detail", {"详情", "detail"}},
      {"f/category", {"类别", "category"}},
      {"f/source", {"来源", "source"}},
      {"f/responsible", {"责任单位", "responsible unit"}},
      {"f/raiser", {"提出单位", "raised by"}},
      {"f/inspection", {"巡察", "inspection"}},
      {"f/deadline", {"整改时限", "deadline"}},
      {"f/status", {"整改状态", "status"}},
      {"f/colour", {"时限预警", "deadline colour"}},
      {"f/measures", {"整改措施", "measures"}},
      {"f/measures_done", {"已落实", "carried out"}},
      {"f/claims", {"销号申请", "claims"}},
      {"f/outcomes", {"整改成果", "outcomes"}},
      {"f/funds", {"追回资金(元)", "funds recovered (yuan)"}},
      {"f/disciplined", {"党纪政务处分", "disciplined"}},
      {"f/handled", {"组织处理", "handled"}},
      {"f/accountable", {"问责", "held accountable"}},
      {"f/rules", {"建章立制", "rules made"}},
      {"f/violations", {"越权记录", "authority violations"}},
      {"f/history", {"签名台账记录", "signed history"}},
      {"f/reopens", {"回头看次数", "reopened"}},
      {"f/by_status", {"按状态", "by status"}},
      {"f/by_category", {"按类别", "by category"}},
      {"f/by_source", {"按来源", "by source"}},
      {"f/by_colour", {"按时限", "by deadline"}},
      {"f/by_kind", {"已验收类型", "accepted as"}},
      {"f/claimed_rate", {"整改率(自报)", "completion rate (claimed)"}},
      {"f/verified_rate", {"整改率(核验)", "completion rate (verified)"}},
      {"f/gap", {"差距", "gap"}},
      {"f/figures", {"上报指标", "reported figures"}},
      {"f/children", {"下级单位", "units below"}},
      {"f/signature_ok", {"签名有效", "signature valid"}},
      {"f/signature_bad", {"签名无效", "signature INVALID"}},
      {"f/verify_ok", {"台账校验通过", "ledger verified"}},
      {"f/verify_bad", {"台账校验失败", "ledger verification FAILED"}},
      {"f/vouched", {"签名无效但由链担保", "own signature invalid, vouched for"}},
      {"f/vouched_by", {"其字节由后续有效签名记录担保", "its bytes are covered by the valid signature of"}},
      {"f/revoked_record", {"以已吊销密钥签名(吊销前已收存,保留展示)", "signed with a revoked key (held before the revocation; kept and shown)"}},
      {"f/ineffective_enrolment", {"无效的登记(留作证据,不授权)", "enrolment that grants nothing (kept as evidence)"}},
      {"f/records", {"记录", "records"}},
      {"f/origins", {"来源单位", "origins"}},
      {"f/none", {"(无)", "(none)"}},
  };
  return *table;
}

}  // namespace

std::string Label(Lang lang, const std::string& key) {
  auto it = Table().find(key);
  if (it == Table().end()) {
    size_t slash = key.find('/');
    return slash == std::string::npos ? key : key.substr(slash + 1);
  }
  return lang == Lang::kZh ? it->second.first : it->second.second;
}

absl::StatusOr<v1::Level> ParseLevel(const std::string& s) {
  static const std::map<std::string, v1::Level> kLevels = {
      {"province", v1::LEVEL_PROVINCE}, {"city", v1::LEVEL_CITY},
      {"county", v1::LEVEL_COUNTY},     {"township", v1::LEVEL_TOWNSHIP},
      {"village", v1::LEVEL_VILLAGE},   {"department", v1::LEVEL_DEPARTMENT},
      {"省", v1::LEVEL_PROVINCE},       {"市", v1::LEVEL_CITY},
      {"县", v1::LEVEL_COUNTY},         {"乡镇", v1::LEVEL_TOWNSHIP},
      {"村", v1::LEVEL_VILLAGE},        {"部门", v1::LEVEL_DEPARTMENT}};
  auto it = kLevels.find(s);
  if (it == kLevels.end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "level: \"", s, "\" is not one of province city county township village department"));
  }
  return it->second;
}

const char* LevelKey(v1::Level level) {
  switch (level) {
    case v1::LEVEL_PROVINCE: return "level/province";
    case v1::LEVEL_CITY: return "level/city";
    case v1::LEVEL_COUNTY: return "level/county";
    case v1::LEVEL_TOWNSHIP: return "level/township";
    case v1::LEVEL_VILLAGE: return "level/village";
    case v1::LEVEL_DEPARTMENT: return "level/department";
    default: return "level/unknown";
  }
}

absl::StatusOr<v1::Source> ParseSource(const std::string& s) {
  static const std::map<std::string, v1::Source> kSources = {
      {"inspection", v1::SOURCE_INSPECTION}, {"visit", v1::SOURCE_VISIT},
      {"petition", v1::SOURCE_PETITION},     {"audit", v1::SOURCE_AUDIT},
      {"self-check", v1::SOURCE_SELF_CHECK}, {"self_check", v1::SOURCE_SELF_CHECK},
      {"巡察", v1::SOURCE_INSPECTION},       {"走访", v1::SOURCE_VISIT},
      {"信访", v1::SOURCE_PETITION},         {"审计", v1::SOURCE_AUDIT},
      {"自查", v1::SOURCE_SELF_CHECK}};
  auto it = kSources.find(s);
  if (it == kSources.end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "source: \"", s, "\" is not one of inspection visit petition audit self-check"));
  }
  return it->second;
}

absl::StatusOr<v1::ClaimKind> ParseClaimKind(const std::string& s) {
  static const std::map<std::string, v1::ClaimKind> kKinds = {
      {"completed", v1::CLAIM_COMPLETED},
      {"basically-completed", v1::CLAIM_BASICALLY_COMPLETED},
      {"basic", v1::CLAIM_BASICALLY_COMPLETED},
      {"long-term", v1::CLAIM_LONG_TERM},
      {"已完成", v1::CLAIM_COMPLETED},
      {"基本完成", v1::CLAIM_BASICALLY_COMPLETED},
      {"长期坚持", v1::CLAIM_LONG_TERM}};
  auto it = kKinds.find(s);
  if (it == kKinds.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("kind: \"", s, "\" is not one of completed basically-completed long-term"));
  }
  return it->second;
}

absl::StatusOr<v1::Status> ParseStatus(const std::string& s) {
  static const std::map<std::string, v1::Status> kStatuses = {
      {"open", v1::STATUS_OPEN},         {"in-progress", v1::STATUS_IN_PROGRESS},
      {"in_progress", v1::STATUS_IN_PROGRESS},
      {"claimed", v1::STATUS_CLAIMED},   {"accepted", v1::STATUS_ACCEPTED},
      {"closed", v1::STATUS_CLOSED},     {"待整改", v1::STATUS_OPEN},
      {"整改中", v1::STATUS_IN_PROGRESS}, {"待验收", v1::STATUS_CLAIMED},
      {"已验收", v1::STATUS_ACCEPTED},   {"已销号", v1::STATUS_CLOSED}};
  auto it = kStatuses.find(s);
  if (it == kStatuses.end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "status: \"", s, "\" is not one of open in-progress claimed accepted closed"));
  }
  return it->second;
}

}  // namespace rectsync::cli
