// Node's trust rules in-process, on a fake clock: hellos over single-use
// nonces, enrolment expiry at the first hop, fork proofs checked whole
// before any is kept. (The same holes, tried from outside against real
// daemons, are in tests/sync/trust_process_test.cc.)
#include <optional>

#include "aggregator/validate.h"
#include "node/daemon/test_nodes.h"
#include "node/record/keys.h"

namespace rectsync::node::testing {
namespace {

using ::testing::HasSubstr;

class NodeTrustTest : public NodeTest {
 protected:
  // A hello from the county to the root over a nonce the root issued.
  v1::Hello CountyHello() {
    absl::StatusOr<v1::ChallengeReply> c = root_->Challenge(kCounty);
    EXPECT_TRUE(c.ok()) << c.status();
    return county_->MakeHello(kCity, c.ok() ? c->nonce() : "");
  }

  // The county's own log, from seq `from`, as one push batch.
  v1::PushBatch CountyBatch(uint64_t from = 1) {
    v1::PushBatch b;
    EXPECT_TRUE(county_->store()->ScanOrigin(kCounty, from, [&](uint64_t, const v1::Record& r) {
      *b.add_records() = r;
      return true;
    }).ok());
    return b;
  }

  // The county enrolled, with one record written, and the body of its
  // next record (chained after its head, stamped now) for a test to alter
  // and seal with `key`, as an outside writer holding the county's key would.
  struct NextRecord {
    v1::RecordBody body;
    store::Head head;
    std::optional<record::KeyPair> key;
  };
  NextRecord CountyWithNextRecord(const std::string& title) {
    clock_.Advance(2000);
    EnrolCounty(&clock_);
    clock_.Advance(5 * 60 * 1000);  // so that a minute back is still within the enrolment
    MustAppend(*county_, Raise(kCounty, "一"));
    NextRecord next;
    absl::StatusOr<record::KeyPair> key = record::KeyPair::Load(county_dir() + "/node.key");
    EXPECT_TRUE(key.ok()) << key.status();
    if (key.ok()) next.key = std::move(*key);
    absl::StatusOr<store::Head> head = county_->store()->GetHead(kCounty);
    EXPECT_TRUE(head.ok()) << head.status();
    if (head.ok()) next.head = *head;
    next.body = Raise(kCounty, title);
    next.body.set_origin(kCounty);
    next.body.set_seq(next.head.seq + 1);
    next.body.set_prev(next.head.id);
    next.body.set_hlc(static_cast<uint64_t>(clock_.NowMillis()) << 16);
    next.body.mutable_problem_raised()->set_problem_id(absl::StrCat(kCounty, ":P", next.body.seq()));
    return next;
  }
};

TEST_F(NodeTrustTest, ANonceOpensOneCallAndLapsesUnused) {
  clock_.Advance(2000);  // past the root's first stamps, taken from the system clock
  EnrolCounty(&clock_);
  const v1::Hello h = CountyHello();
  EXPECT_TRUE(root_->CheckHello(h).ok());
  absl::Status replay = root_->CheckHello(h);
  EXPECT_EQ(replay.code(), absl::StatusCode::kUnauthenticated) << replay;
  EXPECT_THAT(replay.message(), HasSubstr("good for one call"));

  // A nonce left a minute unused lapses.
  absl::StatusOr<v1::ChallengeReply> c = root_->Challenge(kCounty);
  ASSERT_TRUE(c.ok());
  clock_.Advance(61 * 1000);
  EXPECT_EQ(root_->CheckHello(county_->MakeHello(kCity, c->nonce())).code(),
            absl::StatusCode::kUnauthenticated);
  // A nonce issued to another unit does not serve.
  c = root_->Challenge(kOtherCounty);
  ASSERT_TRUE(c.ok());
  absl::Status other = root_->CheckHello(county_->MakeHello(kCity, c->nonce()));
  EXPECT_THAT(other.message(), HasSubstr("issued to"));
  // A hello with a bad signature does not spend the nonce.
  c = root_->Challenge(kCounty);
  ASSERT_TRUE(c.ok());
  v1::Hello forged = county_->MakeHello(kCity, c->nonce());
  std::string sig = forged.signature();
  sig[0] ^= 1;
  forged.set_signature(sig);
  EXPECT_EQ(root_->CheckHello(forged).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(root_->CheckHello(county_->MakeHello(kCity, c->nonce())).ok());
  // Unit ids are checked before a nonce is issued.
  EXPECT_EQ(root_->Challenge("../etc").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(NodeTrustTest, AnExpiredEnrolmentIsRefusedAtTheFirstHopAfterTheGrace) {
  clock_.Advance(2000);
  const int64_t until = clock_.NowMillis() + 1000;
  EnrolCounty(&clock_, until);
  MustAppend(*county_, Raise(kCounty, "到期前写的"));
  MustAppend(*county_, Raise(kCounty, "也是到期前写的"));
  const v1::PushBatch batch = CountyBatch();
  ASSERT_EQ(batch.records_size(), 2);
  const int64_t grace = root_->options().enrolment_grace_ms;
  ASSERT_EQ(grace, 24LL * 3600 * 1000);

  // Within the grace: the hello and the records are taken.
  clock_.Set(until + grace - 1000);
  EXPECT_TRUE(root_->CheckHello(CountyHello()).ok());
  // Past it: the hello names the expiry and the way out...
  clock_.Set(until + grace);
  absl::Status hello = root_->CheckHello(CountyHello());
  EXPECT_EQ(hello.code(), absl::StatusCode::kFailedPrecondition) << hello;
  EXPECT_THAT(hello.message(), HasSubstr("expired"));
  EXPECT_THAT(hello.message(), HasSubstr("enrol it again"));
  // ...and records stamped before the expiry but first sent now are refused
  // from the unit itself, with nothing stored.
  v1::PushReply r = root_->IngestPush(kCounty, batch);
  EXPECT_EQ(r.code(), static_cast<int>(absl::StatusCode::kFailedPrecondition)) << r.error();
  EXPECT_THAT(r.error(), HasSubstr(absl::StrCat(kCounty, "#1")));
  EXPECT_THAT(r.error(), HasSubstr("expired"));
  EXPECT_EQ(root_->store()->GetHead(kCounty)->seq, 0u);
  // A relay above the unit took them in time and hands them on: taken.
  r = root_->IngestPush(kCity, batch);
  EXPECT_EQ(r.code(), 0) << r.error();
  EXPECT_EQ(r.stored(), 2u);
}

TEST_F(NodeTrustTest, TheFirstHopChecksEverySignatureAndVerifyNamesWhatTheChainVouchesFor) {
  clock_.Advance(2000);  // past the root's first stamps, taken from the system clock
  EnrolCounty(&clock_);
  absl::StatusOr<record::KeyPair> key = record::KeyPair::Load(county_dir() + "/node.key");
  ASSERT_TRUE(key.ok()) << key.status();
  MustAppend(*county_, Raise(kCounty, "一"));
  // Seq 2 with a garbage signature, seq 3 validly signed after it.
  v1::PushBatch batch = CountyBatch();
  v1::RecordBody b2 = Raise(kCounty, "二");
  b2.set_origin(kCounty);
  b2.set_seq(2);
  b2.set_prev(record::RecordId(batch.records(0)));
  b2.set_hlc((static_cast<uint64_t>(clock_.NowMillis()) + 1000) << 16);
  b2.mutable_problem_raised()->set_problem_id(absl::StrCat(kCounty, ":P2"));
  v1::Record r2 = record::Seal(b2, *key);
  r2.set_signature(std::string(64, '\0'));
  v1::RecordBody b3 = b2;
  b3.set_seq(3);
  b3.set_hlc(b2.hlc() + 1);
  b3.set_prev(record::RecordId(r2));
  b3.mutable_problem_raised()->set_problem_id(absl::StrCat(kCounty, ":P3"));
  *batch.add_records() = r2;
  *batch.add_records() = record::Seal(b3, *key);

  v1::PushReply r = root_->IngestPush(kCounty, batch);
  EXPECT_EQ(r.code(), static_cast<int>(absl::StatusCode::kUnauthenticated)) << r.error();
  EXPECT_THAT(r.error(), HasSubstr(absl::StrCat(kCounty, "#2")));
  EXPECT_EQ(root_->store()->GetHead(kCounty)->seq, 0u);
  // Relayed, the chain vouches for #2; verify names it and stays green.
  r = root_->IngestPush(kCity, batch);
  ASSERT_EQ(r.code(), 0) << r.error();
  absl::StatusOr<v1::VerifyReply> v = root_->Verify();
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->ok()) << v->reason();
  ASSERT_EQ(v->vouched_size(), 1);
  EXPECT_EQ(v->vouched(0).seq(), 2u);
  EXPECT_EQ(v->vouched(0).vouched_by_seq(), 3u);
  EXPECT_EQ(v->vouched(0).id(), record::RecordId(r2));
}

TEST_F(NodeTrustTest, ForkProofsAreCheckedWholeBeforeAnyIsKept) {
  clock_.Advance(2000);  // past the root's first stamps, taken from the system clock
  EnrolCounty(&clock_);
  absl::StatusOr<record::KeyPair> key = record::KeyPair::Load(county_dir() + "/node.key");
  ASSERT_TRUE(key.ok()) << key.status();
  auto seal = [&](uint64_t seq, const std::string& title) {
    v1::RecordBody b = Raise(kCounty, title);
    b.set_origin(kCounty);
    b.set_seq(seq);
    b.set_hlc(static_cast<uint64_t>(clock_.NowMillis()) << 16);
    if (seq > 1) b.set_prev(std::string(32, 'p'));
    b.mutable_problem_raised()->set_problem_id(absl::StrCat(kCounty, ":F", seq, title.size()));
    return record::Seal(b, *key);
  };
  auto proof = [](const v1::Record& a, const v1::Record& b) {
    v1::ForkProof p;
    *p.mutable_a() = a;
    *p.mutable_b() = b;
    return p;
  };
  const v1::Record a = seal(1, "甲"), b = seal(1, "乙乙");
  auto ingest = [&](std::vector<v1::ForkProof> proofs, const std::string& from) {
    google::protobuf::RepeatedPtrField<v1::ForkProof> field;
    for (auto& p : proofs) *field.Add() = std::move(p);
    return root_->IngestForkProofs(from, Node::ForkSource::kChild, field);
  };
  EXPECT_THAT(ingest({proof(a, a)}, kCounty).status().message(), HasSubstr("the same record"));
  EXPECT_THAT(ingest({proof(a, seal(2, "丙"))}, kCounty).status().message(),
              HasSubstr("same origin and seq"));
  // The good proof first, a forged one second: neither is kept.
  v1::Record forged = b;
  forged.set_signature(std::string(64, '\x7f'));
  absl::StatusOr<uint32_t> n = ingest({proof(a, b), proof(a, forged)}, kCounty);
  EXPECT_EQ(n.status().code(), absl::StatusCode::kUnauthenticated) << n.status();
  EXPECT_THAT(n.status().message(), HasSubstr("fork proof 2"));
  EXPECT_EQ(*root_->store()->FrozenAt(kCounty), 0u);
  // From a child whose subtree does not hold the origin.
  EXPECT_EQ(ingest({proof(a, b)}, kOtherCounty).status().code(), absl::StatusCode::kPermissionDenied);
  // A good proof freezes the origin, here and for what the root sends on.
  n = ingest({proof(a, b)}, kCounty);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 1u);
  EXPECT_EQ(*root_->store()->FrozenAt(kCounty), 1u);
  EXPECT_EQ(*ingest({proof(b, a)}, kCounty), 0u) << "the same proof again is nothing new";
  absl::StatusOr<std::vector<v1::ForkProof>> held = root_->ForkProofs();
  ASSERT_TRUE(held.ok());
  ASSERT_EQ(held->size(), 1u);
  v1::PushReply r = root_->IngestPush(kCounty, [&] {
    v1::PushBatch batch;
    *batch.add_records() = a;
    return batch;
  }());
  EXPECT_THAT(r.error(), HasSubstr("frozen"));
}

// A pulled batch is taken whole or not at all, the trust it carries
// included: an enrolment early in a batch that fails later must not be
// admitted while the ledger does not hold it (issue 13: trust ran ahead of
// the ledger, and records signed by that key were then taken).
TEST_F(NodeTrustTest, APulledBatchThatFailsLeavesTrustWhereTheLedgerIs) {
  clock_.Advance(2000);
  EnrolCounty(&clock_);
  v1::RecordBody enrol;
  enrol.set_author("市委组织部");
  v1::UnitEnrolled* e = enrol.mutable_unit_enrolled();
  e->set_unit(kTown);
  e->set_name("XX镇");
  e->set_level(v1::LEVEL_TOWNSHIP);
  e->set_public_key(record::KeyPair::Generate().public_key());
  MustAppend(*root_, enrol);
  MustAppend(*root_, Raise(kCounty, "市里交办的问题"));
  v1::PullBatch batch;
  batch.set_origin(kCity);
  ASSERT_TRUE(root_->store()->ScanOrigin(kCity, 1, [&](uint64_t seq, const v1::Record& r) {
    *batch.add_records() = r;
    batch.set_scanned_to(seq);
    return true;
  }).ok());
  v1::PullBatch damaged = batch;
  v1::Record* last = damaged.mutable_records(damaged.records_size() - 1);
  std::string sig = last->signature();
  sig[0] ^= 1;
  last->set_signature(sig);

  v1::KeysRequest town;
  town.set_unit(kTown);
  EXPECT_FALSE(county_->IngestPull(kCity, damaged).ok());
  EXPECT_EQ(county_->Keys(town).status().code(), absl::StatusCode::kNotFound)
      << "the township's key was admitted from a batch that was not stored";
  // The whole batch, undamaged, is taken with its enrolment.
  ASSERT_TRUE(county_->IngestPull(kCity, batch).ok());
  EXPECT_TRUE(county_->Keys(town).ok());
}

// What is stored was validated when it arrived; reading it back checks the
// chain and signatures but not the body rules, so a stricter validator in a
// later version (here: a title longer than today's limit, as an older
// version might have taken) leaves an old ledger readable and verifiable,
// while a parent that applies the new rules refuses the record at ingest.
TEST_F(NodeTrustTest, AStoredRecordThatTodaysValidatorWouldRefuseStaysReadable) {
  NextRecord next = CountyWithNextRecord(std::string(aggregator::kMaxTitle + 1, 'x'));
  ASSERT_TRUE(next.key.has_value());
  const v1::RecordBody& old = next.body;
  const std::string pid = old.problem_raised().problem_id();
  ASSERT_FALSE(aggregator::ValidateBody(old).ok());
  store::StoredRecord planted;
  planted.envelope = record::Seal(old, *next.key);
  planted.decoded.body = old;
  planted.decoded.id = record::RecordId(planted.envelope);
  ASSERT_TRUE(county_->store()->Append({planted}).ok());

  absl::StatusOr<v1::VerifyReply> v = county_->Verify();
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->ok()) << v->DebugString();
  absl::StatusOr<v1::ProblemDetail> p = county_->GetProblem(pid);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->state().title().size(), aggregator::kMaxTitle + 1);

  // The root, applying today's rules, refuses it when it arrives, naming why.
  v1::PushBatch batch = CountyBatch();
  v1::PushReply r = root_->IngestPush(kCounty, batch);
  EXPECT_NE(r.code(), 0);
  EXPECT_THAT(r.error(), HasSubstr("title"));
}

// Stamps rise along a chain: a record stamped before the one it follows
// (the signer's clock set back, as a thief would to slip in under a
// revocation) is refused where the chain is taken, naming both times.
TEST_F(NodeTrustTest, ARecordStampedBeforeTheOneItFollowsIsRefused) {
  NextRecord next = CountyWithNextRecord("倒签的记录");
  ASSERT_TRUE(next.key.has_value());
  v1::RecordBody back = next.body;
  back.set_hlc(next.head.hlc - (uint64_t{60000} << 16));  // a minute before its predecessor
  v1::PushBatch honest = CountyBatch();
  v1::PushBatch batch = honest;
  *batch.add_records() = record::Seal(back, *next.key);

  v1::PushReply r = root_->IngestPush(kCounty, batch);
  EXPECT_EQ(r.code(), static_cast<int>(absl::StatusCode::kFailedPrecondition)) << r.error();
  EXPECT_THAT(r.error(), HasSubstr("clock was set back"));
  EXPECT_EQ(root_->store()->GetHead(kCounty)->seq, 0u) << "a refused batch stores nothing";
  // The honest records alone are taken.
  r = root_->IngestPush(kCounty, honest);
  EXPECT_EQ(r.code(), 0) << r.error();
  EXPECT_EQ(root_->store()->GetHead(kCounty)->seq, next.head.seq);
}

}  // namespace
}  // namespace rectsync::node::testing
