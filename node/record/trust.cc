#include "node/record/trust.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "aggregator/status_macros.h"
#include "aggregator/unit_id.h"

namespace rectsync::record {
namespace {

std::string Utc(int64_t ms) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

}  // namespace

bool ValidAt(const Enrolment& e, int64_t ms) {
  return ms >= e.valid_from_ms && (e.valid_until_ms == 0 || ms < e.valid_until_ms);
}

const Enrolment* FindSigner(const std::vector<Enrolment>& candidates, const v1::Record& env,
                            const DecodedRecord& r) {
  const int64_t ms = HlcMillis(r.body.hlc());
  for (auto e = candidates.rbegin(); e != candidates.rend(); ++e) {
    if (ValidAt(*e, ms) && SignatureValid(env, e->public_key)) return &*e;
  }
  return nullptr;
}

int64_t AcceptedUntil(const Enrolment& e, int64_t grace_ms) {
  if (e.valid_until_ms == 0) return std::numeric_limits<int64_t>::max();
  return e.valid_until_ms + grace_ms;
}

absl::Status CheckNotExpired(const Enrolment& e, int64_t now_ms, int64_t grace_ms) {
  if (now_ms < AcceptedUntil(e, grace_ms)) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "the enrolment of \"", e.unit, "\" expired at ", Utc(e.valid_until_ms), " (grace ",
      grace_ms / 1000, " s, so nothing signed under it is taken after ",
      Utc(AcceptedUntil(e, grace_ms)), "); ask \"", e.enroller,
      "\" to enrol it again (rectsync enrol) and install the new bundle"));
}

TrustStore::TrustStore(std::string root_public_key) : root_public_key_(std::move(root_public_key)) {}

absl::Status TrustStore::Admit(const v1::Record& env, const DecodedRecord& r) {
  if (!r.body.has_unit_enrolled()) {
    return absl::InvalidArgumentError(absl::StrCat("record ", Describe(r.body), " is not an enrolment"));
  }
  const auto& e = r.body.unit_enrolled();
  if (auto it = by_unit_.find(e.unit()); it != by_unit_.end()) {
    for (const Enrolment& known : it->second) {
      if (known.record_id == r.id) return absl::OkStatus();
    }
  }
  const std::string& origin = r.body.origin();
  if (e.unit() == origin) {
    // Only the root enrols itself, with the anchor key, signed by it.
    if (e.public_key() != root_public_key_ || !SignatureValid(env, root_public_key_)) {
      return absl::PermissionDeniedError(absl::StrCat(
          "self-enrolment of \"", origin, "\" is not signed by the configured root key"));
    }
  } else {
    if (!aggregator::StrictlyBelow(e.unit(), origin)) {
      return absl::PermissionDeniedError(absl::StrCat("\"", origin, "\" may not enrol \"", e.unit(),
                                                      "\": outside its subtree"));
    }
    RETURN_IF_ERROR(CheckSignature(env, r));
  }
  Enrolment en;
  en.unit = e.unit();
  en.name = e.name();
  en.level = e.level();
  en.public_key = e.public_key();
  en.valid_from_ms = e.valid_from_ms();
  en.valid_until_ms = e.valid_until_ms();
  en.enroller = origin;
  en.record_id = r.id;
  by_unit_[e.unit()].push_back(std::move(en));
  return absl::OkStatus();
}

// The enrolments of the record's origin that are valid at its time, newest
// first; PermissionDenied naming why there are none.
absl::StatusOr<std::vector<const Enrolment*>> TrustStore::ValidEnrolments(
    const DecodedRecord& r) const {
  const std::string& origin = r.body.origin();
  auto it = by_unit_.find(origin);
  if (it == by_unit_.end()) {
    return absl::PermissionDeniedError(
        absl::StrCat("record ", Describe(r.body), ": origin \"", origin, "\" is not enrolled"));
  }
  const int64_t ms = HlcMillis(r.body.hlc());
  std::vector<const Enrolment*> out;
  for (auto e = it->second.rbegin(); e != it->second.rend(); ++e) {
    if (ValidAt(*e, ms)) out.push_back(&*e);
  }
  if (out.empty()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "record ", Describe(r.body), ": no enrolment of \"", origin, "\" is valid at its time"));
  }
  return out;
}

absl::Status TrustStore::CheckSignature(const v1::Record& env, const DecodedRecord& r) const {
  RETURN_IF_ERROR(ValidEnrolments(r).status());
  if (FindSigner(by_unit_.at(r.body.origin()), env, r) != nullptr) return absl::OkStatus();
  return absl::UnauthenticatedError(absl::StrCat(
      "record ", Describe(r.body), ": signature does not verify under the enrolled key"));
}

absl::Status TrustStore::CheckEnrolled(const DecodedRecord& r) const {
  return ValidEnrolments(r).status();
}

absl::StatusOr<std::vector<const Enrolment*>> TrustStore::Current(const std::string& unit,
                                                                  int64_t now_ms,
                                                                  int64_t grace_ms,
                                                                  int64_t skew_ms) const {
  auto it = by_unit_.find(unit);
  if (it == by_unit_.end() || it->second.empty()) {
    return absl::PermissionDeniedError(absl::StrCat("\"", unit, "\" is not enrolled here"));
  }
  std::vector<const Enrolment*> out;
  const Enrolment* expired = nullptr;
  for (auto e = it->second.rbegin(); e != it->second.rend(); ++e) {
    if (now_ms + skew_ms < e->valid_from_ms) continue;
    if (now_ms >= AcceptedUntil(*e, grace_ms)) {
      if (expired == nullptr) expired = &*e;
      continue;
    }
    out.push_back(&*e);
  }
  if (!out.empty()) return out;
  if (expired != nullptr) return CheckNotExpired(*expired, now_ms, grace_ms);
  return absl::FailedPreconditionError(absl::StrCat(
      "the enrolment of \"", unit, "\" is not valid yet (from ",
      Utc(it->second.back().valid_from_ms), ")"));
}

std::vector<Enrolment> TrustStore::EnrolmentsOf(const std::string& unit) const {
  auto it = by_unit_.find(unit);
  return it == by_unit_.end() ? std::vector<Enrolment>{} : it->second;
}

const Enrolment* TrustStore::Find(const std::string& unit) const {
  auto it = by_unit_.find(unit);
  return it == by_unit_.end() || it->second.empty() ? nullptr : &it->second.back();
}

absl::StatusOr<TrustStore> CheckBundle(const v1::EnrollmentBundle& bundle,
                                       absl::string_view expected_key) {
  if (bundle.root_public_key().size() != kPublicKeySize) {
    return absl::InvalidArgumentError("enrolment bundle: root_public_key must be 32 bytes");
  }
  if (bundle.chain().empty()) return absl::InvalidArgumentError("enrolment bundle: chain is empty");
  TrustStore trust(bundle.root_public_key());
  for (int i = 0; i < bundle.chain_size(); ++i) {
    ASSIGN_OR_RETURN(DecodedRecord r, Open(bundle.chain(i)));
    if (absl::Status s = trust.Admit(bundle.chain(i), r); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("enrolment bundle, entry ", i + 1, ": ", s.message()));
    }
  }
  ASSIGN_OR_RETURN(DecodedRecord last, Open(*bundle.chain().rbegin()));
  if (!expected_key.empty() && last.body.unit_enrolled().public_key() != expected_key) {
    return absl::FailedPreconditionError(
        "enrolment bundle enrols a different key than this node's key file");
  }
  return trust;
}

absl::Status CheckLink(const DecodedRecord& r, uint64_t head_seq, absl::string_view head_id) {
  if (r.body.seq() != head_seq + 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "record ", Describe(r.body), " does not follow the stored head seq ", head_seq,
        r.body.seq() <= head_seq ? " (already held)" : " (gap)"));
  }
  if (r.body.prev() != head_id) {
    return absl::FailedPreconditionError(absl::StrCat(
        "record ", Describe(r.body), ": prev does not match the id of seq ", head_seq));
  }
  return absl::OkStatus();
}

}  // namespace rectsync::record
