// libFuzzer entry point: a record envelope as it arrives from another node
// (any bytes). Checks that opening it never crashes, that what record::Open
// accepts record::Decode reads back with the same id and body, and that a
// record it accepts survives a re-encode unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "node/record/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rectsync::v1::Record env;
  if (!env.ParseFromArray(data, static_cast<int>(size))) return 0;
  absl::StatusOr<rectsync::record::DecodedRecord> opened = rectsync::record::Open(env);
  if (!opened.ok()) return 0;
  absl::StatusOr<rectsync::record::DecodedRecord> decoded = rectsync::record::Decode(env);
  if (!decoded.ok() || decoded->id != opened->id ||
      decoded->body.SerializeAsString() != opened->body.SerializeAsString() ||
      rectsync::record::RecordId(env) != opened->id) {
    std::fprintf(stderr, "Open accepted what Decode reads differently\n");
    std::abort();
  }
  rectsync::v1::Record again;
  if (!again.ParseFromString(env.SerializeAsString()) || rectsync::record::RecordId(again) != opened->id) {
    std::fprintf(stderr, "an accepted record changes its id when re-encoded\n");
    std::abort();
  }
  return 0;
}
