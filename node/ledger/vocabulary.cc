#include "node/ledger/vocabulary.h"

namespace rectsync::ledger {

const std::map<std::string, v1::Status>& Statuses() {
  static const auto* m =
      new std::map<std::string, v1::Status>{{"待整改", v1::STATUS_OPEN},
                                            {"整改中", v1::STATUS_IN_PROGRESS},
                                            {"待验收", v1::STATUS_CLAIMED},
                                            {"已验收", v1::STATUS_ACCEPTED},
                                            {"已销号", v1::STATUS_CLOSED},
                                            {"open", v1::STATUS_OPEN},
                                            {"in-progress", v1::STATUS_IN_PROGRESS},
                                            {"claimed", v1::STATUS_CLAIMED},
                                            {"accepted", v1::STATUS_ACCEPTED},
                                            {"closed", v1::STATUS_CLOSED}};
  return *m;
}
const std::map<std::string, v1::Source>& Sources() {
  static const auto* m = new std::map<std::string, v1::Source>{
      {"巡察", v1::SOURCE_INSPECTION}, {"走访", v1::SOURCE_VISIT},
      {"信访", v1::SOURCE_PETITION},   {"审计", v1::SOURCE_AUDIT},
      {"自查", v1::SOURCE_SELF_CHECK}, {"inspection", v1::SOURCE_INSPECTION},
      {"visit", v1::SOURCE_VISIT},     {"petition", v1::SOURCE_PETITION},
      {"audit", v1::SOURCE_AUDIT},     {"self-check", v1::SOURCE_SELF_CHECK}};
  return *m;
}
const std::map<std::string, v1::ClaimKind>& Kinds() {
  static const auto* m = new std::map<std::string, v1::ClaimKind>{
      {"已完成", v1::CLAIM_COMPLETED},
      {"基本完成", v1::CLAIM_BASICALLY_COMPLETED},
      {"长期坚持", v1::CLAIM_LONG_TERM},
      {"completed", v1::CLAIM_COMPLETED},
      {"basically-completed", v1::CLAIM_BASICALLY_COMPLETED},
      {"long-term", v1::CLAIM_LONG_TERM}};
  return *m;
}

}  // namespace rectsync::ledger
