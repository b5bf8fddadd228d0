#include "node/record/codec.h"

#include "absl/strings/str_cat.h"
#include "aggregator/validate.h"

namespace rectsync::record {
namespace {

constexpr char kSignDomain[] = "rectsync.record.v1";  // plus its terminating NUL
constexpr char kIdDomain[] = "rectsync.id.v1";

std::string U64BigEndian(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xff);
  return out;
}

}  // namespace

absl::string_view SignatureDomain() { return absl::string_view(kSignDomain, sizeof kSignDomain); }

std::string RecordId(const v1::Record& env) {
  std::string data(kIdDomain, sizeof kIdDomain);
  data.reserve(data.size() + 8 + env.body().size() + env.signature().size());
  absl::StrAppend(&data, U64BigEndian(env.body().size()), env.body(), env.signature());
  return Blake2b256(data);
}

v1::Record Seal(const v1::RecordBody& body, const KeyPair& key) {
  v1::Record env;
  body.SerializeToString(env.mutable_body());
  env.set_signature(key.Sign(absl::StrCat(SignatureDomain(), env.body())));
  return env;
}

absl::StatusOr<DecodedRecord> Decode(const v1::Record& env) {
  DecodedRecord r;
  if (!r.body.ParseFromString(env.body())) {
    return absl::InvalidArgumentError("record body does not parse as RecordBody");
  }
  r.id = RecordId(env);
  return r;
}

absl::StatusOr<DecodedRecord> Open(const v1::Record& env) {
  DecodedRecord r;
  if (!r.body.ParseFromString(env.body())) {
    return absl::InvalidArgumentError("record body does not parse as RecordBody");
  }
  if (env.signature().size() != kSignatureSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("record ", Describe(r.body), ": signature must be 64 bytes"));
  }
  if (absl::Status s = aggregator::ValidateBody(r.body); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("record ", Describe(r.body), ": ", s.message()));
  }
  r.id = RecordId(env);
  return r;
}

bool SignatureValid(const v1::Record& env, absl::string_view public_key) {
  return VerifySignature(public_key, absl::StrCat(SignatureDomain(), env.body()), env.signature());
}

std::string Describe(const v1::RecordBody& body) {
  return absl::StrCat(body.origin().empty() ? "?" : body.origin(), "#", body.seq());
}

}  // namespace rectsync::record
