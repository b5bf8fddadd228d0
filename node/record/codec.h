// Sealing and opening signed records (DESIGN §3). The body bytes are signed
// and shipped as-is; ids and signatures are always computed over those exact
// bytes, never over a re-serialization. Pure; thread-safe.
#ifndef RECTSYNC_NODE_RECORD_CODEC_H_
#define RECTSYNC_NODE_RECORD_CODEC_H_

#include <string>

#include "absl/status/statusor.h"
#include "aggregator/record_view.h"
#include "node/record/keys.h"
#include "rectsync/v1/record.pb.h"

namespace rectsync::record {

namespace v1 = ::rectsync::v1;
using aggregator::DecodedRecord;

// Prefixed to the body before signing, so a record signature can never be
// mistaken for a signature over anything else.
absl::string_view SignatureDomain();

// BLAKE2b-256("rectsync.id.v1\0" || u64be(len(body)) || body || signature).
std::string RecordId(const v1::Record& envelope);

// Serializes `body` once and signs it.
v1::Record Seal(const v1::RecordBody& body, const KeyPair& key);

// For a record arriving (a local write, a push, a pull, a bundle, a
// restore): parses the body and validates every field. InvalidArgument
// naming the problem ("record body does not parse", "problem_raised.title:
// ...").
absl::StatusOr<DecodedRecord> Open(const v1::Record& envelope);
// For a record already stored, which was validated when it arrived:
// parses the body and computes the id, and no more, so that a stricter
// validator in a later version cannot make an old ledger unreadable.
absl::StatusOr<DecodedRecord> Decode(const v1::Record& envelope);

bool SignatureValid(const v1::Record& envelope, absl::string_view public_key);

// "3201/320115#17" for messages.
std::string Describe(const v1::RecordBody& body);

// HLC helpers: wall ms << 16 | logical.
inline int64_t HlcMillis(uint64_t hlc) { return static_cast<int64_t>(hlc >> 16); }

// Records that change who may sign (TrustStore::Admit): enrolments and key
// revocations. Indexed by the store, loaded into the trust store at open.
inline bool IsTrustRecord(const v1::RecordBody& b) { return b.has_unit_enrolled() || b.has_key_revoked(); }

}  // namespace rectsync::record

#endif  // RECTSYNC_NODE_RECORD_CODEC_H_
