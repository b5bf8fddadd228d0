// Trust (DESIGN §5): which key may sign for which unit, and when. Trust flows
// down from the root key through UnitEnrolled records: an enrolment counts
// only if its origin is itself trusted (or it is the root's self-enrolment
// signed by the root key) and the enrolled unit lies below the origin.
// Pure; not thread-safe (callers serialise writes).
#ifndef RECTSYNC_NODE_RECORD_TRUST_H_
#define RECTSYNC_NODE_RECORD_TRUST_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "node/record/codec.h"

namespace rectsync::record {

struct Enrolment {
  std::string unit;
  std::string name;
  v1::Level level = v1::LEVEL_UNSPECIFIED;
  std::string public_key;
  int64_t valid_from_ms = 0;
  int64_t valid_until_ms = 0;  // 0: no expiry
  std::string enroller;        // origin of the enrolment record
  std::string record_id;
  // Set when a unit above revoked this key (KeyRevoked): nothing stamped at
  // or after revoked_from_ms verifies under it. 0: not revoked.
  int64_t revoked_from_ms = 0;
  std::string revoked_by;      // origin of the earliest revocation
  std::string revoke_reason;
};

// OK iff `e` is valid at `ms`: valid_from <= ms < valid_until (0 = no
// expiry) and ms is before any revocation of its key.
bool ValidAt(const Enrolment& e, int64_t ms);
// "revoked from <time> by <unit> (<reason>)" for a revoked enrolment.
std::string RevocationText(const Enrolment& e);

// The enrolment among `candidates` (one unit's, oldest first) that is valid
// at the record's time and whose key verifies its signature, newest first;
// nullptr if none. Pure, so callers may run it off their locks.
const Enrolment* FindSigner(const std::vector<Enrolment>& candidates, const v1::Record& env,
                            const DecodedRecord& record);

// When records signed under `e` stop being accepted at a first hop, and
// hellos under it stop being accepted at all: valid_until + grace, or
// INT64_MAX for an enrolment without expiry; a revocation ends it at once,
// with no grace.
int64_t AcceptedUntil(const Enrolment& e, int64_t grace_ms);

// FailedPrecondition (for a hello) naming the expiry and what to do, when
// `now_ms` is past AcceptedUntil(e, grace_ms).
absl::Status CheckNotExpired(const Enrolment& e, int64_t now_ms, int64_t grace_ms);

class TrustStore {
 public:
  explicit TrustStore(std::string root_public_key);

  // Checks and admits the trust record `record` (whose envelope is `env`):
  // an enrolment (UnitEnrolled) or a revocation (KeyRevoked, signed by a
  // trusted unit above the revoked one; it applies to enrolments of that
  // key admitted before or after it). Admitting the same record twice is a
  // no-op. PermissionDenied names why a record is not trusted.
  absl::Status Admit(const v1::Record& env, const DecodedRecord& record);

  // OK iff `public_key` is enrolled for `unit` and valid at `ms`: what a
  // node checks before signing with its own key. FailedPrecondition naming
  // the revocation, the expiry or the missing enrolment otherwise.
  absl::Status CheckKeyValidAt(const std::string& unit, const std::string& public_key, int64_t ms) const;
  // True iff `record` verifies under a key of its origin that was valid at
  // its time but for a revocation: a record already held when the
  // revocation arrived (Verify shows these instead of failing on them).
  const Enrolment* RevokedSigner(const v1::Record& env, const DecodedRecord& record) const;

  // OK iff `record` is signed by a key enrolled for its origin and valid at
  // the record's time. PermissionDenied / Unauthenticated otherwise.
  absl::Status CheckSignature(const v1::Record& env, const DecodedRecord& record) const;

  // OK iff some enrolment of the record's origin is valid at the record's
  // time, without checking the signature: for the records of a pushed run
  // whose last record's signature, through the hash chain, vouches for all
  // of them (DESIGN §7). PermissionDenied otherwise.
  absl::Status CheckEnrolled(const DecodedRecord& record) const;

  // The enrolments of `unit` whose keys may be used at `now_ms` (valid from
  // before now + `skew_ms`, the clock difference tolerated between the
  // enroller and this node, and not past AcceptedUntil), newest first. PermissionDenied
  // if `unit` is not enrolled; FailedPrecondition naming the expiry and the
  // way out (re-enrolment) if none is current.
  absl::StatusOr<std::vector<const Enrolment*>> Current(const std::string& unit, int64_t now_ms,
                                                        int64_t grace_ms, int64_t skew_ms) const;
  // The enrolments of `unit`, oldest first (a copy, for checks off the lock).
  std::vector<Enrolment> EnrolmentsOf(const std::string& unit) const;

  // The latest enrolment of `unit`, or nullptr.
  const Enrolment* Find(const std::string& unit) const;
  const std::map<std::string, std::vector<Enrolment>>& all() const { return by_unit_; }
  const std::string& root_public_key() const { return root_public_key_; }

 private:
  absl::StatusOr<std::vector<const Enrolment*>> ValidEnrolments(const DecodedRecord& record) const;
  absl::Status AdmitRevocation(const v1::Record& env, const DecodedRecord& record);
  // Sets the earliest revocation of (unit, key) on `e`, if there is one.
  void ApplyRevocation(Enrolment* e) const;

  struct Revocation {
    int64_t from_ms = 0;
    std::string by;
    std::string reason;
    std::string record_id;
  };
  std::string root_public_key_;
  std::map<std::string, std::vector<Enrolment>> by_unit_;
  // unit -> public key -> the earliest revocation of that key.
  std::map<std::string, std::map<std::string, Revocation>> revoked_;
  std::set<std::string> revocation_ids_;  // admitted KeyRevoked records
};

// Checks a whole enrolment bundle: root key, chain order, signatures, and
// that the last enrolment names `expected_key` (if non-empty). Returns the
// trust store it builds.
absl::StatusOr<TrustStore> CheckBundle(const v1::EnrollmentBundle& bundle,
                                       absl::string_view expected_key);

// Chain continuity: `record` must be seq head_seq+1 with prev == head_id.
// FailedPrecondition naming the gap or the mismatch.
absl::Status CheckLink(const DecodedRecord& record, uint64_t head_seq, absl::string_view head_id);

// Stamps rise along a chain (each node's hybrid clock never goes back, its
// last stamp kept with its head): `record` must be stamped after the
// record it follows (`head_hlc`). Checked where a chain is taken, so a key
// holder who sets the clock back (a stolen laptop) cannot stamp records
// before the last one the parent holds, and so before a revocation from
// that time. FailedPrecondition naming both times.
absl::Status CheckStampRises(const DecodedRecord& record, uint64_t head_hlc);

}  // namespace rectsync::record

#endif  // RECTSYNC_NODE_RECORD_TRUST_H_
