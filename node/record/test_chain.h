// Test helpers (header-only) for record tests: bodies, and Chain, which seals
// an origin's records with real keys and hash links. Tests only; call
// InitCrypto() first.
#ifndef RECTSYNC_NODE_RECORD_TEST_CHAIN_H_
#define RECTSYNC_NODE_RECORD_TEST_CHAIN_H_

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "node/record/codec.h"
#include "node/record/keys.h"

namespace rectsync::record::testing {

const std::string kCity = "3201";
const std::string kCounty = "3201/320115";
const std::string kTown = "3201/320115/320115003";
const std::string kOtherCounty = "3201/320116";

constexpr int64_t kT0 = 1717200000000;  // 2024-06-01T00:00:00Z, unix ms

inline uint64_t Stamp(int64_t ms, uint16_t logical = 0) {
  return static_cast<uint64_t>(ms) << 16 | logical;
}

inline v1::RecordBody RaiseBody(const std::string& origin, const std::string& local) {
  v1::RecordBody b;
  b.set_author("officer");
  auto* e = b.mutable_problem_raised();
  e->set_problem_id(absl::StrCat(origin, ":", local));
  e->set_unit(origin);
  e->set_source(v1::SOURCE_INSPECTION);
  e->set_category("roads");
  e->set_title("村道破损未修复");
  e->set_detail("detail of the problem");
  e->set_deadline("2024-06-30");
  return b;
}

inline v1::RecordBody EnrolBody(const std::string& unit, v1::Level level, const std::string& public_key,
                         int64_t valid_from_ms = 0, int64_t valid_until_ms = 0) {
  v1::RecordBody b;
  b.set_author("officer");
  auto* e = b.mutable_unit_enrolled();
  e->set_unit(unit);
  e->set_name(absl::StrCat("unit ", unit));
  e->set_level(level);
  e->set_public_key(public_key);
  e->set_valid_from_ms(valid_from_ms);
  e->set_valid_until_ms(valid_until_ms);
  return b;
}

// One origin's log: assigns seq and prev, seals, and remembers the head.
class Chain {
 public:
  Chain(std::string origin, const KeyPair* key) : origin_(std::move(origin)), key_(key) {}

  // Seals `body` as the next record, stamped `hlc`, signed by `signer`
  // (default the chain's key).
  v1::Record Next(v1::RecordBody body, uint64_t hlc, const KeyPair* signer = nullptr) {
    body.set_origin(origin_);
    body.set_seq(++seq_);
    body.set_prev(head_);
    body.set_hlc(hlc);
    v1::Record env = Seal(body, signer ? *signer : *key_);
    head_ = RecordId(env);
    return env;
  }
  const std::string& head() const { return head_; }
  uint64_t seq() const { return seq_; }

 private:
  std::string origin_;
  const KeyPair* key_;
  uint64_t seq_ = 0;
  std::string head_;
};

inline DecodedRecord OpenOrDie(const v1::Record& env) {
  absl::StatusOr<DecodedRecord> r = Open(env);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : DecodedRecord{};
}

}  // namespace rectsync::record::testing

#endif  // RECTSYNC_NODE_RECORD_TEST_CHAIN_H_
