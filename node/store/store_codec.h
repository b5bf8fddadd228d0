// How the store lays out values in its column families: int64 rollup
// counters (little-endian, for the merge operator), heads, the problem
// index's keys, and parsing a stored message. Internal to node/store.
#ifndef RECTSYNC_NODE_STORE_STORE_CODEC_H_
#define RECTSYNC_NODE_STORE_STORE_CODEC_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "node/record/keys.h"
#include "node/store/store.h"
#include "rocksdb/slice.h"

namespace rectsync::store {

inline std::string EncodeI64(int64_t v) {
  std::string out(8, '\0');
  uint64_t u = static_cast<uint64_t>(v);
  for (int i = 0; i < 8; ++i, u >>= 8) out[i] = static_cast<char>(u & 0xff);
  return out;
}

inline int64_t DecodeI64(const rocksdb::Slice& s) {
  if (s.size() != 8) return 0;
  uint64_t u = 0;
  for (int i = 7; i >= 0; --i) u = u << 8 | static_cast<unsigned char>(s.data()[i]);
  return static_cast<int64_t>(u);
}

inline std::string EncodeHead(const Head& h) {
  return absl::StrCat(EncodeU64(h.seq), h.id, EncodeU64(h.hlc));
}

inline absl::StatusOr<Head> DecodeHead(const std::string& origin, absl::string_view v) {
  if (v.size() != 8 + record::kIdSize + 8) {
    return absl::DataLossError(absl::StrCat("head of \"", origin, "\" is malformed"));
  }
  Head h;
  h.seq = DecodeU64(v.substr(0, 8));
  h.id = std::string(v.substr(8, record::kIdSize));
  h.hlc = DecodeU64(v.substr(8 + record::kIdSize));
  return h;
}

inline std::string ProblemIndexKey(const std::string& unit, const std::string& id) {
  return absl::StrCat("u/", unit, "/", absl::string_view("\0", 1), id);
}

template <typename Message>
inline absl::StatusOr<Message> ParseStored(absl::string_view bytes, absl::string_view what) {
  Message m;
  if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(absl::StrCat("stored ", what, " does not parse"));
  }
  return m;
}

}  // namespace rectsync::store

#endif  // RECTSYNC_NODE_STORE_STORE_CODEC_H_
