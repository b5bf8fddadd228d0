// Serving a child's pull (Node::CollectPull): a long poll answers as soon as
// news arrives, a wake reads only what arrived since its last scan, and whether a record
// concerns the child costs one problem read per problem, not per record.
// Both costs are counted in the child link's status.
#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "node/daemon/test_nodes.h"

namespace rectsync::node::testing {
namespace {

v1::PullRequest PullFrom(uint64_t city_seq, int wait_ms) {
  v1::PullRequest req;
  v1::FrontierEntry* e = req.add_cursor();
  e->set_origin(kCity);
  e->set_seq(city_seq);
  req.set_wait_ms(wait_ms);
  return req;
}

v1::LinkStatus ChildLink(const Node& node, const std::string& child) {
  absl::StatusOr<v1::SyncStatusReply> status = node.SyncStatus();
  EXPECT_TRUE(status.ok()) << status.status();
  for (const v1::LinkStatus& l : status->links()) {
    if (l.direction() == "child" && l.peer() == child) return l;
  }
  ADD_FAILURE() << "no child link for " << child;
  return v1::LinkStatus();
}

v1::RecordBody Retitle(const std::string& problem, int i) {
  v1::RecordBody b;
  b.set_author("admin");
  b.mutable_problem_amended()->set_problem_id(problem);
  b.mutable_problem_amended()->set_title(absl::StrCat("整改标题第", i, "稿"));
  b.mutable_problem_amended()->set_reason("表述调整");
  return b;
}

TEST_F(NodeTest, ALongPollWakeReadsOnlyWhatArrivedSinceItsLastScan) {
  EnrolCounty(&clock_);
  const uint64_t cursor = HeadSeq(*root_);
  // The city's own problems do not concern the county.
  constexpr int kUnrelated = 60, kWakes = 5;
  for (int i = 0; i < kUnrelated; ++i) MustAppend(*root_, Raise(kCity, "市本级问题"));
  // A long wait: the answer must come with the news, not at the deadline.
  std::atomic<bool> give_up{false};
  std::future<absl::StatusOr<std::vector<v1::PullBatch>>> poll = std::async(std::launch::async, [&] {
    return root_->CollectPull(kCounty, PullFrom(cursor, 600000), [&] { return give_up.load(); });
  });
  // Each unrelated record wakes the poll, which finds nothing for the
  // county and waits again; the last record concerns it.
  for (int i = 0; i < kWakes; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    MustAppend(*root_, Raise(kCity, "市本级问题"));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  MustAppend(*root_, Raise(kCounty, "区级问题"));
  const bool answered = poll.wait_for(std::chrono::seconds(60)) == std::future_status::ready;
  give_up = true;
  absl::StatusOr<std::vector<v1::PullBatch>> got = poll.get();
  // Before: the poll held what it found until the next change or its deadline.
  ASSERT_TRUE(answered) << "the pull did not answer when news arrived";
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 1u);
  const v1::PullBatch& batch = got->front();
  EXPECT_EQ(batch.origin(), kCity);
  ASSERT_EQ(batch.records_size(), 1);
  EXPECT_EQ(record::Decode(batch.records(0))->body.problem_raised().title(), "区级问题");
  EXPECT_EQ(batch.scanned_to(), HeadSeq(*root_));
  // Each record after the cursor read once (before: the whole range again
  // at every wake, 6 scans of 60 or more).
  EXPECT_EQ(ChildLink(*root_, kCounty).pull_records_read(), uint64_t{kUnrelated + kWakes + 1});
}

TEST_F(NodeTest, APullReadsEachProblemOnceNotOncePerRecord) {
  EnrolCounty(&clock_);
  const uint64_t cursor = HeadSeq(*root_);
  const std::string problem = MustAppend(*root_, Raise(kCounty, "区级问题")).subject();
  constexpr int kAmendments = 20;
  for (int i = 0; i < kAmendments; ++i) MustAppend(*root_, Retitle(problem, i));
  absl::StatusOr<std::vector<v1::PullBatch>> got = root_->CollectPull(kCounty, PullFrom(cursor, 0), {});
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(got->front().records_size(), 1 + kAmendments);
  const v1::LinkStatus link = ChildLink(*root_, kCounty);
  EXPECT_EQ(link.pull_records_read(), uint64_t{1 + kAmendments});
  EXPECT_EQ(link.pull_problem_reads(), 1u);  // before: one per amendment
}

}  // namespace
}  // namespace rectsync::node::testing
