// Tests of the signed record format (DESIGN §3): sealing and opening, tamper
// detection, chain links.
// Randomized parts print their seed; RECTSYNC_SEED=<seed> replays them.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "aggregator/test_seed.h"
#include "gtest/gtest.h"
#include "node/record/codec.h"
#include "node/record/keys.h"
#include "node/record/test_chain.h"
#include "node/record/trust.h"

namespace rectsync::record {
namespace {

using ::testing::HasSubstr;

using namespace ::rectsync::record::testing;  // NOLINT: test helpers

class CodecTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(InitCrypto().ok()); }
};

TEST_F(CodecTest, SealOpenRoundTrip) {
  KeyPair key = KeyPair::Generate();
  KeyPair other = KeyPair::Generate();
  Chain chain(kCity, &key);
  v1::RecordBody body = RaiseBody(kCity, "P1");
  v1::Record env = chain.Next(body, Stamp(kT0, 3));

  ASSERT_EQ(env.signature().size(), kSignatureSize);
  EXPECT_TRUE(SignatureValid(env, key.public_key()));
  EXPECT_FALSE(SignatureValid(env, other.public_key()));

  absl::StatusOr<DecodedRecord> r = Open(env);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->id, RecordId(env));
  EXPECT_EQ(r->id.size(), kIdSize);
  EXPECT_EQ(r->body.origin(), kCity);
  EXPECT_EQ(r->body.seq(), 1u);
  EXPECT_EQ(r->body.hlc(), Stamp(kT0, 3));
  EXPECT_EQ(HlcMillis(r->body.hlc()), kT0);
  EXPECT_EQ(r->body.problem_raised().title(), "村道破损未修复");
  // The envelope carries exactly the bytes that were parsed.
  EXPECT_EQ(r->body.SerializeAsString(), env.body());
  EXPECT_EQ(Describe(r->body), "3201#1");

  // Ed25519 is deterministic: sealing the same body again gives the same
  // envelope and id; a different body gives a different id.
  v1::RecordBody same = r->body;
  EXPECT_EQ(Seal(same, key).SerializeAsString(), env.SerializeAsString());
  same.mutable_problem_raised()->set_title("另一个问题");
  EXPECT_NE(RecordId(Seal(same, key)), r->id);
}

TEST_F(CodecTest, SignatureIsDomainSeparated) {
  KeyPair key = KeyPair::Generate();
  Chain chain(kCity, &key);
  v1::Record env = chain.Next(RaiseBody(kCity, "P1"), Stamp(kT0));
  EXPECT_EQ(SignatureDomain(), absl::string_view("rectsync.record.v1\0", 19));
  // A signature over the bare body (no domain tag) is not a record signature.
  v1::Record bare = env;
  bare.set_signature(key.Sign(env.body()));
  EXPECT_FALSE(SignatureValid(bare, key.public_key()));
  EXPECT_TRUE(SignatureValid(env, key.public_key()));
}

TEST_F(CodecTest, RecordIdBindsTheBodySignatureBoundary) {
  KeyPair key = KeyPair::Generate();
  Chain chain(kCity, &key);
  v1::Record env = chain.Next(RaiseBody(kCity, "P1"), Stamp(kT0));
  // Moving one byte from the end of the body to the front of the signature
  // keeps body||signature the same; the length prefix must tell them apart.
  v1::Record shifted;
  shifted.set_body(env.body().substr(0, env.body().size() - 1));
  shifted.set_signature(env.body().back() + env.signature());
  EXPECT_NE(RecordId(shifted), RecordId(env));
}

// Flipping any single byte of the body or the signature must be detected:
// the id changes and the signature no longer verifies (and for many body
// flips Open refuses the record outright).
TEST_F(CodecTest, EverySingleByteFlipIsDetected) {
  const uint64_t seed = TestSeed();
  std::cout << "EverySingleByteFlipIsDetected seed: " << seed
            << " (replay with RECTSYNC_SEED=" << seed << ")\n";
  std::mt19937_64 rng(seed);
  KeyPair key = KeyPair::Generate();
  Chain chain(kCity, &key);
  chain.Next(RaiseBody(kCity, "P1"), Stamp(kT0));
  v1::Record env = chain.Next(RaiseBody(kCity, "P2"), Stamp(kT0 + 1));
  const std::string id = RecordId(env);
  ASSERT_TRUE(SignatureValid(env, key.public_key()));

  int checked = 0, open_refused = 0, undetected = 0;
  auto check = [&](const v1::Record& tampered, absl::string_view where, size_t i, unsigned mask) {
    ++checked;
    const bool id_changed = RecordId(tampered) != id;
    const bool sig_fails = !SignatureValid(tampered, key.public_key());
    absl::StatusOr<DecodedRecord> opened = Open(tampered);
    if (!opened.ok()) {
      ++open_refused;
      EXPECT_EQ(opened.status().code(), absl::StatusCode::kInvalidArgument) << opened.status();
    } else {
      EXPECT_NE(opened->id, id) << where << " byte " << i;
    }
    if (!id_changed || !sig_fails) {
      ++undetected;
      ADD_FAILURE() << where << " byte " << i << " ^ 0x" << std::hex << mask << std::dec
                    << ": id_changed=" << id_changed << " signature_fails=" << sig_fails;
    }
  };
  for (size_t i = 0; i < env.body().size(); ++i) {
    for (unsigned mask : {0x01u, 0x80u, 0xffu, static_cast<unsigned>(rng() % 255 + 1)}) {
      v1::Record t = env;
      (*t.mutable_body())[i] ^= static_cast<char>(mask);
      check(t, "body", i, mask);
    }
  }
  for (size_t i = 0; i < env.signature().size(); ++i) {
    for (unsigned mask : {0x01u, 0x80u, 0xffu, static_cast<unsigned>(rng() % 255 + 1)}) {
      v1::Record t = env;
      (*t.mutable_signature())[i] ^= static_cast<char>(mask);
      check(t, "signature", i, mask);
    }
  }
  EXPECT_EQ(checked, static_cast<int>(4 * (env.body().size() + env.signature().size())));
  EXPECT_EQ(undetected, 0);
  EXPECT_GT(open_refused, 0) << "some body flips should not even parse or validate";
}

TEST_F(CodecTest, OpenRefusesMalformedEnvelopes) {
  KeyPair key = KeyPair::Generate();
  Chain chain(kCity, &key);
  v1::Record env = chain.Next(RaiseBody(kCity, "P1"), Stamp(kT0));

  v1::Record short_sig = env;
  short_sig.mutable_signature()->pop_back();
  absl::Status s = Open(short_sig).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("signature must be 64 bytes"));
  EXPECT_THAT(s.message(), HasSubstr("3201#1"));

  v1::Record garbage = env;
  garbage.set_body("\xff\xff\xff\xff");
  s = Open(garbage).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("does not parse"));

  // A validly signed body whose fields are bad is still refused, naming the field.
  v1::RecordBody bad = RaiseBody(kCity, "P2");
  bad.mutable_problem_raised()->clear_title();
  s = Open(chain.Next(bad, Stamp(kT0 + 1))).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("problem_raised.title"));
}

TEST_F(CodecTest, CheckLinkCatchesGapWrongPrevAndReplay) {
  KeyPair key = KeyPair::Generate();
  Chain chain(kCity, &key);
  DecodedRecord r1 = OpenOrDie(chain.Next(RaiseBody(kCity, "P1"), Stamp(kT0)));
  DecodedRecord r2 = OpenOrDie(chain.Next(RaiseBody(kCity, "P2"), Stamp(kT0 + 1)));
  DecodedRecord r3 = OpenOrDie(chain.Next(RaiseBody(kCity, "P3"), Stamp(kT0 + 2)));

  EXPECT_TRUE(CheckLink(r1, 0, "").ok());
  EXPECT_TRUE(CheckLink(r2, 1, r1.id).ok());
  EXPECT_TRUE(CheckLink(r3, 2, r2.id).ok());

  // Gap: seq 3 on top of head 1.
  absl::Status s = CheckLink(r3, 1, r1.id);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("3201#3"));
  EXPECT_THAT(s.message(), HasSubstr("(gap)"));
  s = CheckLink(r2, 0, "");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("(gap)"));

  // Wrong prev: seq 2 that does not hash-link to the held seq 1.
  Chain fork(kCity, &key);
  fork.Next(RaiseBody(kCity, "X1"), Stamp(kT0));  // a different seq 1
  DecodedRecord forked2 = OpenOrDie(fork.Next(RaiseBody(kCity, "P2"), Stamp(kT0 + 1)));
  s = CheckLink(forked2, 1, r1.id);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("prev does not match the id of seq 1"));

  // Replay: records already held.
  s = CheckLink(r2, 2, r2.id);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("already held"));
  s = CheckLink(r1, 3, r3.id);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("already held"));
}

}  // namespace
}  // namespace rectsync::record
