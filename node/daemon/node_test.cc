// Node tests on real stores in a scratch directory: a root (InitRoot) and a
// county enrolled by it (Enroll + InitFromBundle). Local writes are
// validated, stamped, signed and refused when they would only be authority
// violations; Verify() finds tampering below the Store's contract.
#include "node/daemon/node.h"

#include <filesystem>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/daemon/test_nodes.h"
#include "node/record/keys.h"

namespace rectsync::node {
namespace {

using namespace ::rectsync::node::testing;  // NOLINT: test helpers

TEST_F(NodeTest, AppendStampsChainsAndSigns) {
  ASSERT_NO_FATAL_FAILURE(EnrolCounty(&clock_));
  v1::AppendReply first = MustAppend(*county_, Raise(kCounty));
  EXPECT_EQ(first.seq(), 1u);
  EXPECT_EQ(first.subject(), "3201/320115:P1");
  clock_.Advance(1000);
  v1::AppendReply second = MustAppend(*county_, AddMeasure(first.subject()));
  EXPECT_EQ(second.seq(), 2u);
  EXPECT_EQ(second.subject(), "3201/320115:M2");

  auto env = county_->store()->GetRecord(kCounty, 2);
  ASSERT_TRUE(env.ok() && env->has_value());
  auto r = record::Open(**env);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->id, second.id());
  EXPECT_EQ(r->body.prev(), first.id());
  EXPECT_EQ(record::HlcMillis(r->body.hlc()), clock_.NowMillis());
  auto key = record::KeyPair::Load(county_dir() + "/node.key");
  ASSERT_TRUE(key.ok());
  EXPECT_TRUE(record::SignatureValid(**env, key->public_key()));

  absl::StatusOr<v1::ProblemDetail> detail = county_->GetProblem(first.subject());
  ASSERT_TRUE(detail.ok()) << detail.status();
  EXPECT_EQ(detail->state().status(), v1::STATUS_IN_PROGRESS);
  ASSERT_EQ(detail->history_size(), 2);
  for (const auto& h : detail->history()) {
    EXPECT_TRUE(h.signature_valid()) << h.check_error();
  }
}

TEST_F(NodeTest, ValidationErrorsNameTheField) {
  ASSERT_NO_FATAL_FAILURE(EnrolCounty(&clock_));
  const std::string p1 = MustAppend(*county_, Raise(kCounty)).subject();
  const std::string m2 = MustAppend(*county_, AddMeasure(p1)).subject();
  const uint64_t head = HeadSeq(*county_);
  using Code = absl::StatusCode;

  v1::RecordBody b = Raise(kCounty, "");
  ExpectRefused(*county_, b, Code::kInvalidArgument, "problem_raised.title: must not be empty");
  b = Raise(kCounty);
  b.mutable_problem_raised()->set_deadline("2024-02-30");
  ExpectRefused(*county_, b, Code::kInvalidArgument, "problem_raised.deadline");
  b = Raise(kCounty);
  b.mutable_problem_raised()->set_deadline("next week");
  ExpectRefused(*county_, b, Code::kInvalidArgument, "problem_raised.deadline");
  b = Raise("3201/Bad Unit");
  ExpectRefused(*county_, b, Code::kInvalidArgument, "problem_raised.unit");
  b = Raise(kCounty);
  b.mutable_problem_raised()->set_source(v1::SOURCE_UNSPECIFIED);
  ExpectRefused(*county_, b, Code::kInvalidArgument, "problem_raised.source");
  b = Raise(kCounty);
  b.mutable_problem_raised()->set_problem_id("3201:P7");  // another unit's id space
  ExpectRefused(*county_, b, Code::kInvalidArgument, "must start with the writing unit");
  b = Raise(kCounty);
  b.clear_author();
  ExpectRefused(*county_, b, Code::kInvalidArgument, "author: must not be empty");
  b = Raise(kCounty);
  b.clear_problem_raised();
  ExpectRefused(*county_, b, Code::kInvalidArgument, "event");

  ExpectRefused(*county_, Progress(p1, -100), Code::kInvalidArgument,
                "progress_reported.outcomes.funds_recovered_fen: must not be negative");
  b = Progress(p1);
  b.mutable_progress_reported()->set_note("");
  ExpectRefused(*county_, b, Code::kInvalidArgument, "progress_reported.note");

  // Unknown ids: NotFound, naming the field and the id.
  ExpectRefused(*county_, Progress("3201/320115:P99"), Code::kNotFound,
                "problem_id: unknown problem \"3201/320115:P99\"");
  ExpectRefused(*county_, AddMeasure("3201/320115:P99"), Code::kNotFound, "unknown problem");
  ExpectRefused(*county_, Progress(p1, 0, "3201/320115:M99"), Code::kNotFound,
                "progress_reported.measure_id: \"3201/320115:M99\" is not a measure");
  b = Raise(kCounty);
  b.mutable_problem_raised()->set_inspection_id("3201/320115:I9");
  ExpectRefused(*county_, b, Code::kNotFound, "problem_raised.inspection_id: unknown inspection");
  ExpectRefused(*county_, Review(p1, std::string(32, 'x'), true), Code::kNotFound,
                "claim_reviewed.claim_record_id");
  b = Raise(kCounty);
  b.mutable_problem_raised()->set_problem_id(p1);
  ExpectRefused(*county_, b, Code::kAlreadyExists, "already exists");

  EXPECT_EQ(HeadSeq(*county_), head);
  // And a good write still goes in right after.
  EXPECT_EQ(MustAppend(*county_, Progress(p1, 2500, m2)).seq(), head + 1);
}

TEST_F(NodeTest, AuthorityViolationsAreRefused) {
  ASSERT_NO_FATAL_FAILURE(EnrolCounty(&clock_));
  const std::string p1 = MustAppend(*county_, Raise(kCounty)).subject();
  const std::string claim = MustAppend(*county_, Claim(p1)).id();
  using Code = absl::StatusCode;

  // A unit may not review its own claim (审核 is an ancestor's job).
  ExpectRefused(*county_, Review(p1, claim, true), Code::kFailedPrecondition,
                "only an ancestor of the responsible unit reviews claims");
  v1::RecordBody close;
  close.set_author("zhang");
  close.mutable_problem_closed()->set_problem_id(p1);
  ExpectRefused(*county_, close, Code::kFailedPrecondition, "only an ancestor closes a problem");
  ExpectRefused(*county_, Claim(p1), Code::kFailedPrecondition, "a claim is already pending");
  // Nor raise problems outside its subtree.
  ExpectRefused(*county_, Raise(kOtherCounty), Code::kFailedPrecondition,
                "may raise problems only in its own subtree");
  ExpectRefused(*county_, Raise(kCity), Code::kFailedPrecondition,
                "may raise problems only in its own subtree");

  absl::StatusOr<v1::ProblemDetail> d = county_->GetProblem(p1);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->state().status(), v1::STATUS_CLAIMED);
  EXPECT_EQ(d->state().violations_size(), 0);

  // The root may raise against the county (below it), not the reverse.
  EXPECT_EQ(MustAppend(*root_, Raise(kCounty)).subject(), "3201:P3");
}

TEST_F(NodeTest, VerifyOnACleanStoreIsOk) {
  ASSERT_NO_FATAL_FAILURE(EnrolCounty(&clock_));
  const std::string p1 = MustAppend(*county_, Raise(kCounty)).subject();
  for (int i = 0; i < 4; ++i) MustAppend(*county_, Progress(p1, 100 * i));

  absl::StatusOr<v1::VerifyReply> v = county_->Verify();
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->ok()) << v->reason();
  EXPECT_EQ(v->records(), 5u);
  EXPECT_EQ(v->origins(), 1u);
  EXPECT_TRUE(v->first_bad_origin().empty());

  v = root_->Verify();
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->ok()) << v->reason();
  EXPECT_EQ(v->records(), 2u);  // self-enrolment and the county's enrolment
}

class VerifyTamperTest : public NodeTest {
 protected:
  void SetUp() override {
    NodeTest::SetUp();
    ASSERT_NO_FATAL_FAILURE(EnrolCounty(&clock_));
    const std::string p1 = MustAppend(*county_, Raise(kCounty)).subject();
    for (int i = 0; i < 4; ++i) MustAppend(*county_, Progress(p1, 100 * i));
    auto key = record::KeyPair::Load(county_dir() + "/node.key");
    ASSERT_TRUE(key.ok());
    county_key_ = std::make_unique<record::KeyPair>(std::move(*key));
  }

  v1::Record Stored(uint64_t seq) { return **county_->store()->GetRecord(kCounty, seq); }

  // The record at `seq` with its note changed in place, re-signed by the
  // county's own key (an attacker holding the key) or not.
  v1::Record Altered(uint64_t seq, bool resign) {
    v1::Record env = Stored(seq);
    v1::RecordBody body;
    EXPECT_TRUE(body.ParseFromString(env.body()));
    body.mutable_progress_reported()->set_note("未整改");  // same byte length as 已整改
    if (resign) return record::Seal(body, *county_key_);
    env.set_body(body.SerializeAsString());
    return env;
  }

  void ExpectVerifyNames(uint64_t seq, const std::string& reason_part) {
    absl::StatusOr<v1::VerifyReply> v = county_->Verify();
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_FALSE(v->ok());
    EXPECT_EQ(v->first_bad_origin(), kCounty);
    EXPECT_EQ(v->first_bad_seq(), seq);
    EXPECT_THAT(v->reason(), HasSubstr(reason_part));
  }

  std::unique_ptr<record::KeyPair> county_key_;
};

TEST_F(VerifyTamperTest, AlteredBodyFailsItsSignature) {
  ASSERT_NO_FATAL_FAILURE(Overwrite(*county_, kCounty, 3, Altered(3, false).SerializeAsString()));
  ExpectVerifyNames(3, "signature does not verify");
}

TEST_F(VerifyTamperTest, ResignedRecordBreaksTheNextLink) {
  ASSERT_NO_FATAL_FAILURE(Overwrite(*county_, kCounty, 3, Altered(3, true).SerializeAsString()));
  ExpectVerifyNames(4, "prev does not match the id of seq 3");
}

TEST_F(VerifyTamperTest, ResignedHeadNoLongerMatchesTheStoredHead) {
  ASSERT_NO_FATAL_FAILURE(Overwrite(*county_, kCounty, 5, Altered(5, true).SerializeAsString()));
  ExpectVerifyNames(5, "head does not match the stored record");
}

TEST_F(VerifyTamperTest, DeletedRecordIsAGap) {
  ASSERT_NO_FATAL_FAILURE(Overwrite(*county_, kCounty, 3, std::nullopt));
  ExpectVerifyNames(4, "gap: expected seq 3");
}

TEST_F(VerifyTamperTest, RecordStoredUnderAnotherSeqIsNamed) {
  ASSERT_NO_FATAL_FAILURE(Overwrite(*county_, kCounty, 3, Stored(2).SerializeAsString()));
  ExpectVerifyNames(3, "different origin or seq");
}

TEST_F(VerifyTamperTest, RecordBeyondTheHeadIsNamed) {
  v1::RecordBody body;
  ASSERT_TRUE(body.ParseFromString(Stored(5).body()));
  body.set_seq(6);
  body.set_prev(record::RecordId(Stored(5)));
  ASSERT_NO_FATAL_FAILURE(
      Overwrite(*county_, kCounty, 6, record::Seal(body, *county_key_).SerializeAsString()));
  ExpectVerifyNames(6, "record stored beyond the head");
}

TEST_F(VerifyTamperTest, UnparseableEnvelopeIsNamed) {
  ASSERT_NO_FATAL_FAILURE(Overwrite(*county_, kCounty, 2, std::string("\xff\xff\xff", 3)));
  ExpectVerifyNames(2, "");
}

// A node's first state is one atomic write, and `init` run again after a
// crash between that write and node.toml finishes the job instead of
// leaving a store that can be neither initialised nor opened (issue 13).
TEST_F(NodeTest, InitInterruptedBeforeNodeTomlIsFinishedByRunningItAgain) {
  const std::string dir = dir_.path() + "/root2";
  RootInit init;
  init.unit = "3202";
  init.name = "XX市";
  init.level = v1::LEVEL_CITY;
  init.author = "admin";
  ASSERT_TRUE(Node::InitRoot(dir, init).ok());
  std::filesystem::remove(dir + "/node.toml");  // the crash
  absl::Status again = Node::InitRoot(dir, init);
  ASSERT_TRUE(again.ok()) << again;
  std::unique_ptr<Node> root = OpenNode(dir, &clock_);
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root->store()->GetHead("3202")->seq, 1u);
  absl::StatusOr<v1::VerifyReply> v = root->Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok()) << v->DebugString();
  root.reset();
  // Another unit's init over that store is still refused.
  std::filesystem::remove(dir + "/node.toml");
  init.unit = "3203";
  EXPECT_EQ(Node::InitRoot(dir, init).code(), absl::StatusCode::kAlreadyExists);

  // The same for a node initialised from its enrolment file.
  absl::StatusOr<std::string> pk = Node::KeyGen(county_dir());
  ASSERT_TRUE(pk.ok());
  absl::StatusOr<v1::EnrollmentBundle> bundle = root_->Enroll(CountyEnrollRequest(*pk));
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  ASSERT_TRUE(Node::InitFromBundle(county_dir(), *bundle).ok());
  std::filesystem::remove(county_dir() + "/node.toml");
  absl::Status resumed = Node::InitFromBundle(county_dir(), *bundle);
  ASSERT_TRUE(resumed.ok()) << resumed;
  EXPECT_NE(OpenNode(county_dir(), &clock_), nullptr);
}

}  // namespace
}  // namespace rectsync::node
