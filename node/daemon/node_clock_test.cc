// Node tests of time: a node's own stamps against its own log and against
// the validity window of its enrolment (DESIGN §3 clock, §5 trust). A local
// write the node accepts must be one its own Verify() and its parent accept.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/daemon/node.h"
#include "node/daemon/test_nodes.h"

namespace rectsync::node {
namespace {

using namespace ::rectsync::node::testing;  // NOLINT: test helpers

constexpr int64_t kMinute = 60 * 1000;

// Either the write is refused and leaves no trace, or it is stored with a
// stamp that keeps the node's log valid.
void ExpectRefusedOrVerifiable(Node& node, const absl::StatusOr<v1::AppendReply>& r,
                               uint64_t head_before) {
  if (!r.ok()) {
    EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();
    EXPECT_EQ(node.store()->GetHead(node.unit())->seq, head_before)
        << "refused (" << r.status() << ") but stored anyway";
    return;
  }
  absl::StatusOr<v1::VerifyReply> v = node.Verify();
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->ok()) << "accepted seq " << r->seq() << " but Verify() says: "
                       << v->first_bad_origin() << "#" << v->first_bad_seq() << " "
                       << v->reason();
}

TEST_F(NodeTest, ClockSetBackAfterRestartKeepsOwnStampsIncreasing) {
  const std::string p1 = MustAppend(*root_, Raise(kCity)).subject();
  const uint64_t first_hlc = root_->store()->GetHead(kCity)->hlc;
  root_.reset();
  FakeClock behind(clock_.NowMillis() - 10 * kMinute);
  root_ = OpenNode(root_dir(), &behind);
  ASSERT_NE(root_, nullptr);

  absl::StatusOr<v1::AppendReply> r = root_->Append(AddMeasure(p1));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_GT(root_->store()->GetHead(kCity)->hlc, first_hlc);
  absl::StatusOr<v1::ProblemDetail> d = root_->GetProblem(p1);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->state().violations_size(), 0);
  EXPECT_EQ(d->state().measures_size(), 1);
}

TEST_F(NodeTest, EnrollWithClockSetBackIsRefusedCleanlyOrValid) {
  root_.reset();
  FakeClock behind(clock_.NowMillis() - 10 * kMinute);
  root_ = OpenNode(root_dir(), &behind);
  ASSERT_NE(root_, nullptr);
  const uint64_t head = root_->store()->GetHead(kCity)->seq;
  absl::StatusOr<v1::EnrollmentBundle> bundle = root_->Enroll(CountyEnrollRequest(std::string(32, 'k')));
  if (!bundle.ok()) {
    EXPECT_EQ(root_->store()->GetHead(kCity)->seq, head)
        << "Enroll failed (" << bundle.status() << ") but its record was stored";
  } else {
    EXPECT_TRUE(record::CheckBundle(*bundle, "").ok());
    EXPECT_TRUE(root_->Verify()->ok());
  }
}

TEST_F(NodeTest, ChildClockBehindItsEnrolmentWritesNothingInvalid) {
  FakeClock behind(clock_.NowMillis() - 60 * kMinute);
  ASSERT_NO_FATAL_FAILURE(EnrolCounty(&behind));
  absl::StatusOr<v1::AppendReply> r = county_->Append(Raise(kCounty));
  ExpectRefusedOrVerifiable(*county_, r, 0);
}

TEST_F(NodeTest, ExpiredEnrolmentWritesNothingInvalid) {
  FakeClock county_clock(clock_.NowMillis());
  ASSERT_NO_FATAL_FAILURE(EnrolCounty(&county_clock, clock_.NowMillis() + kMinute));
  const std::string p1 = MustAppend(*county_, Raise(kCounty)).subject();
  county_clock.Advance(2 * kMinute);
  absl::StatusOr<v1::AppendReply> r = county_->Append(Progress(p1));
  ExpectRefusedOrVerifiable(*county_, r, 1);
}

}  // namespace
}  // namespace rectsync::node
