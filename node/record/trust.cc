#include "node/record/trust.h"

#include <algorithm>
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
  return ms >= e.valid_from_ms && (e.valid_until_ms == 0 || ms < e.valid_until_ms) &&
         (e.revoked_from_ms == 0 || ms < e.revoked_from_ms);
}

std::string RevocationText(const Enrolment& e) {
  return absl::StrCat("revoked from ", Utc(e.revoked_from_ms), " by \"", e.revoked_by, "\" (",
                      e.revoke_reason, ")");
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
  int64_t until = e.valid_until_ms == 0 ? std::numeric_limits<int64_t>::max() : e.valid_until_ms + grace_ms;
  if (e.revoked_from_ms != 0) until = std::min(until, e.revoked_from_ms);
  return until;
}

absl::Status CheckNotExpired(const Enrolment& e, int64_t now_ms, int64_t grace_ms) {
  if (now_ms < AcceptedUntil(e, grace_ms)) return absl::OkStatus();
  if (e.revoked_from_ms != 0 && now_ms >= e.revoked_from_ms) {
    return absl::PermissionDeniedError(absl::StrCat(
        "the key of \"", e.unit, "\" was ", RevocationText(e),
        "; nothing signed under it after that is taken. A new key needs a new enrolment "
        "(rectsync key rotate at the unit above)"));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "the enrolment of \"", e.unit, "\" expired at ", Utc(e.valid_until_ms), " (grace ",
      grace_ms / 1000, " s, so nothing signed under it is taken after ",
      Utc(AcceptedUntil(e, grace_ms)), "); ask \"", e.enroller,
      "\" to enrol it again (rectsync enroll) and install the new bundle"));
}

TrustStore::TrustStore(std::string root_public_key) : root_public_key_(std::move(root_public_key)) {}

absl::Status TrustStore::Admit(const v1::Record& env, const DecodedRecord& r) {
  if (r.body.has_key_revoked()) return AdmitRevocation(env, r);
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
  ApplyRevocation(&en);
  by_unit_[e.unit()].push_back(std::move(en));
  return absl::OkStatus();
}

absl::Status TrustStore::AdmitRevocation(const v1::Record& env, const DecodedRecord& r) {
  if (revocation_ids_.count(r.id)) return absl::OkStatus();
  const v1::KeyRevoked& k = r.body.key_revoked();
  const std::string& origin = r.body.origin();
  if (!aggregator::StrictlyBelow(k.unit(), origin)) {
    return absl::PermissionDeniedError(absl::StrCat("\"", origin, "\" may not revoke a key of \"", k.unit(),
                                                    "\": only a unit above it may"));
  }
  RETURN_IF_ERROR(CheckSignature(env, r));
  Revocation& held = revoked_[k.unit()][k.public_key()];
  if (held.from_ms == 0 || k.from_ms() < held.from_ms) {
    held = Revocation{k.from_ms(), origin, k.reason(), r.id};
  }
  revocation_ids_.insert(r.id);
  if (auto it = by_unit_.find(k.unit()); it != by_unit_.end()) {
    for (Enrolment& e : it->second) ApplyRevocation(&e);
  }
  return absl::OkStatus();
}

void TrustStore::ApplyRevocation(Enrolment* e) const {
  auto unit = revoked_.find(e->unit);
  if (unit == revoked_.end()) return;
  auto key = unit->second.find(e->public_key);
  if (key == unit->second.end()) return;
  e->revoked_from_ms = key->second.from_ms;
  e->revoked_by = key->second.by;
  e->revoke_reason = key->second.reason;
}

absl::Status TrustStore::CheckKeyValidAt(const std::string& unit, const std::string& public_key,
                                         int64_t ms) const {
  const Enrolment* revoked = nullptr;
  auto it = by_unit_.find(unit);
  if (it != by_unit_.end()) {
    for (const Enrolment& e : it->second) {
      if (e.public_key != public_key) continue;
      if (ValidAt(e, ms)) return absl::OkStatus();
      if (e.revoked_from_ms != 0 && ms >= e.revoked_from_ms) revoked = &e;
    }
  }
  if (revoked != nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "this node's key for \"", unit, "\" was ", RevocationText(*revoked),
        "; records signed with it are refused. If this is a rotation, the new key takes over once its "
        "enrolment arrives here (sync or bundle import); otherwise ask the unit above to enrol a new key"));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "no enrolment of this node's key for \"", unit, "\" is valid at ", Utc(ms),
      " (check the clock, or ask the parent to re-enrol this unit)"));
}

const Enrolment* TrustStore::RevokedSigner(const v1::Record& env, const DecodedRecord& r) const {
  auto it = by_unit_.find(r.body.origin());
  if (it == by_unit_.end()) return nullptr;
  const int64_t ms = HlcMillis(r.body.hlc());
  for (const Enrolment& e : it->second) {
    if (e.revoked_from_ms == 0 || ms < e.revoked_from_ms) continue;
    Enrolment unrevoked = e;
    unrevoked.revoked_from_ms = 0;
    if (ValidAt(unrevoked, ms) && SignatureValid(env, e.public_key)) return &e;
  }
  return nullptr;
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
    for (auto e = it->second.rbegin(); e != it->second.rend(); ++e) {
      if (e->revoked_from_ms != 0 && ms >= e->revoked_from_ms) {
        return absl::PermissionDeniedError(absl::StrCat("record ", Describe(r.body), ": the key of \"", origin,
                                                        "\" was ", RevocationText(*e)));
      }
    }
    return absl::PermissionDeniedError(absl::StrCat(
        "record ", Describe(r.body), ": no enrolment of \"", origin, "\" is valid at its time"));
  }
  return out;
}

absl::Status TrustStore::CheckSignature(const v1::Record& env, const DecodedRecord& r) const {
  RETURN_IF_ERROR(ValidEnrolments(r).status());
  if (FindSigner(by_unit_.at(r.body.origin()), env, r) != nullptr) return absl::OkStatus();
  if (const Enrolment* e = RevokedSigner(env, r)) {
    return absl::PermissionDeniedError(absl::StrCat("record ", Describe(r.body), ": signed with the key of \"",
                                                    e->unit, "\" that was ", RevocationText(*e)));
  }
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

absl::Status CheckStampRises(const DecodedRecord& r, uint64_t head_hlc) {
  if (r.body.hlc() > head_hlc) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "record ", Describe(r.body), " is stamped ", Utc(HlcMillis(r.body.hlc())),
      ", not after the record it follows (", Utc(HlcMillis(head_hlc)),
      "): stamps rise along a chain, so the signer's clock was set back"));
}

}  // namespace rectsync::record
