// Trust (DESIGN §5): which key may sign for which unit, and when. Trust flows
// down from the root key through UnitEnrolled records: an enrolment counts
// only if its origin is itself trusted (or it is the root's self-enrolment
// signed by the root key) and the enrolled unit lies below the origin.
// Pure; not thread-safe (callers serialise writes).
#ifndef RECTSYNC_NODE_RECORD_TRUST_H_
#define RECTSYNC_NODE_RECORD_TRUST_H_

#include <map>
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
};

class TrustStore {
 public:
  explicit TrustStore(std::string root_public_key);

  // Checks and admits the enrolment `record` (whose envelope is `env`).
  // Admitting the same record twice is a no-op. PermissionDenied names why
  // an enrolment is not trusted.
  absl::Status Admit(const v1::Record& env, const DecodedRecord& record);

  // OK iff `record` is signed by a key enrolled for its origin and valid at
  // the record's time. PermissionDenied / Unauthenticated otherwise.
  absl::Status CheckSignature(const v1::Record& env, const DecodedRecord& record) const;

  // OK iff some enrolment of the record's origin is valid at the record's
  // time, without checking the signature: for the records of a pushed run
  // whose last record's signature, through the hash chain, vouches for all
  // of them (DESIGN §7). PermissionDenied otherwise.
  absl::Status CheckEnrolled(const DecodedRecord& record) const;

  // The latest enrolment of `unit`, or nullptr.
  const Enrolment* Find(const std::string& unit) const;
  const std::map<std::string, std::vector<Enrolment>>& all() const { return by_unit_; }
  const std::string& root_public_key() const { return root_public_key_; }

 private:
  absl::StatusOr<std::vector<const Enrolment*>> ValidEnrolments(const DecodedRecord& record) const;

  std::string root_public_key_;
  std::map<std::string, std::vector<Enrolment>> by_unit_;
};

// Checks a whole enrolment bundle: root key, chain order, signatures, and
// that the last enrolment names `expected_key` (if non-empty). Returns the
// trust store it builds.
absl::StatusOr<TrustStore> CheckBundle(const v1::EnrollmentBundle& bundle,
                                       absl::string_view expected_key);

// Chain continuity: `record` must be seq head_seq+1 with prev == head_id.
// FailedPrecondition naming the gap or the mismatch.
absl::Status CheckLink(const DecodedRecord& record, uint64_t head_seq, absl::string_view head_id);

}  // namespace rectsync::record

#endif  // RECTSYNC_NODE_RECORD_TRUST_H_
