// Cross-process sync tests (DESIGN §7): real rectsyncd processes on
// loopback, a chain city → county → township → two villages.
#include <signal.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "node/record/codec.h"
#include "node/record/keys.h"
#include "rectsync/v1/sync.grpc.pb.h"
#include "tests/sync/cluster.h"

namespace rectsync::testing {
namespace {

int64_t Problems(Cluster& c, const std::string& at, const std::string& unit) {
  auto client = c.Client(at);
  return Summary(*client, unit).problems();
}

void ExpectVerified(Cluster& c, const std::string& unit) {
  auto client = c.Client(unit);
  v1::VerifyReply v = Verify(*client);
  EXPECT_TRUE(v.ok()) << unit << ": " << v.first_bad_origin() << "#" << v.first_bad_seq() << " "
                      << v.reason();
}

// (a) Villages write while the township is down; once it starts, everything
// reaches the city and every ledger verifies.
TEST(SyncProcessTest, VillagesWriteOfflineThenEverythingReachesTheCity) {
  Cluster c;
  BuildChain(c);
  c.Start(kCity);
  c.Start(kCounty);
  c.Start(kVillage1);
  c.Start(kVillage2);
  {
    auto v1c = c.Client(kVillage1);
    auto v2c = c.Client(kVillage2);
    for (int i = 0; i < 7; ++i) Raise(*v1c, absl::StrCat("三会一课落实不到位 ", i));
    for (int i = 0; i < 5; ++i) Raise(*v2c, absl::StrCat("村务公开不及时 ", i));
    // The township is down: the villages keep working, with records pending.
    auto st = SyncStatus(*v1c);
    ASSERT_EQ(st.links_size(), 1);
    EXPECT_FALSE(st.links(0).last_error().empty());
  }
  EXPECT_EQ(Problems(c, kCity, kCity), 0);
  c.Start(kTown);
  EXPECT_TRUE(WaitFor([&] { return Problems(c, kCity, kCity) == 12; }))
      << "city holds " << Problems(c, kCity, kCity);
  EXPECT_EQ(Problems(c, kCity, kVillage1), 7);
  EXPECT_EQ(Problems(c, kCity, kVillage2), 5);
  {
    auto v1c = c.Client(kVillage1);
    EXPECT_TRUE(WaitFor([&] {
      auto st = SyncStatus(*v1c);
      return st.links_size() == 1 && st.links(0).pending() == 0 && st.links(0).last_error().empty();
    }));
  }
  for (const char* u : {kCity, kCounty, kTown, kVillage1, kVillage2}) ExpectVerified(c, u);
}

v1::LinkStatus ChildLink(Cluster& c, const std::string& at, const std::string& child) {
  auto client = c.Client(at);
  const v1::SyncStatusReply status = SyncStatus(*client);
  for (const v1::LinkStatus& l : status.links()) {
    if (l.direction() == "child" && l.peer() == child) return l;
  }
  ADD_FAILURE() << at << " has no link for child " << child;
  return v1::LinkStatus();
}

// An idle link costs a digest, not the subtree: once a child's frontier is
// what its parent holds, its heartbeats get no frontier entries, and a new
// record costs its push and receipt, not a new frontier. Before, every
// heartbeat carried one entry per origin of the child's subtree.
TEST(SyncProcessTest, IdleHeartbeatsCarryNoFrontier) {
  Cluster c;
  BuildChain(c);
  for (const char* u : {kCity, kCounty, kTown, kVillage1, kVillage2}) {
    c.Configure(u, {{"push_interval_ms", "100"}, {"attest_interval_ms", "0"}});
    c.Start(u);
  }
  {
    auto v1c = c.Client(kVillage1);
    auto v2c = c.Client(kVillage2);
    for (int i = 0; i < 3; ++i) Raise(*v1c, absl::StrCat("三会一课落实不到位 ", i));
    for (int i = 0; i < 3; ++i) Raise(*v2c, absl::StrCat("村务公开不及时 ", i));
  }
  ASSERT_TRUE(WaitFor([&] { return Problems(c, kCity, kCity) == 6; }));
  // Settled: the county has a receipt for everything below it.
  ASSERT_TRUE(WaitFor([&] {
    auto cc = c.Client(kCounty);
    auto st = SyncStatus(*cc);
    for (const v1::LinkStatus& l : st.links()) {
      if (l.direction() == "parent") return l.pending() == 0 && l.last_error().empty();
    }
    return false;
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const v1::LinkStatus city_before = ChildLink(c, kCity, kCounty);
  const v1::LinkStatus county_before = ChildLink(c, kCounty, kTown);
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  const v1::LinkStatus city_idle = ChildLink(c, kCity, kCounty);
  const v1::LinkStatus county_idle = ChildLink(c, kCounty, kTown);
  EXPECT_GE(city_idle.handshakes(), city_before.handshakes() + 5) << "heartbeats every 100 ms";
  EXPECT_GE(county_idle.handshakes(), county_before.handshakes() + 5);
  EXPECT_EQ(city_idle.handshake_frontier_entries(), city_before.handshake_frontier_entries())
      << "idle heartbeats from the county carried frontier entries";
  EXPECT_EQ(county_idle.handshake_frontier_entries(), county_before.handshake_frontier_entries());

  // One new record goes up by push and receipt; the frontier is not resent.
  {
    auto v1c = c.Client(kVillage1);
    Raise(*v1c, "新增问题");
  }
  ASSERT_TRUE(WaitFor([&] { return Problems(c, kCity, kCity) == 7; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  const v1::LinkStatus city_after = ChildLink(c, kCity, kCounty);
  EXPECT_GT(city_after.handshakes(), city_idle.handshakes());
  EXPECT_EQ(city_after.handshake_frontier_entries(), city_before.handshake_frontier_entries());
  EXPECT_EQ(ChildLink(c, kCounty, kTown).handshake_frontier_entries(),
            county_before.handshake_frontier_entries());
  for (const char* u : {kCity, kCounty, kTown, kVillage1, kVillage2}) ExpectVerified(c, u);
}

// (b) The county raises a problem against a village; it reaches the village;
// the village claims; the county accepts; village and city show it accepted.
TEST(SyncProcessTest, CountyProblemReachesVillageAndTheReviewComesBack) {
  Cluster c;
  BuildChain(c);
  for (const char* u : {kCity, kCounty, kTown, kVillage1, kVillage2}) c.Start(u);
  auto county = c.Client(kCounty);
  auto village = c.Client(kVillage1);
  const std::string pid = Raise(*county, "低保资格审核不严", kVillage1).subject();
  ASSERT_TRUE(WaitFor([&] {
    v1::GetProblemRequest r;
    r.set_problem_id(pid);
    return cli::Call(&v1::Admin::Stub::GetProblem, village->admin(), r).ok();
  })) << "problem never reached the village";
  // The sibling village does not receive it.
  {
    auto other = c.Client(kVillage2);
    v1::GetProblemRequest r;
    r.set_problem_id(pid);
    EXPECT_FALSE(cli::Call(&v1::Admin::Stub::GetProblem, other->admin(), r).ok());
  }
  v1::AppendRequest claim;
  claim.mutable_body()->set_author("村书记");
  claim.mutable_body()->mutable_completion_claimed()->set_problem_id(pid);
  claim.mutable_body()->mutable_completion_claimed()->set_kind(v1::CLAIM_COMPLETED);
  auto claimed = cli::Call(&v1::Admin::Stub::Append, village->admin(), claim);
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  auto status_at = [&](cli::NodeClient& n) {
    v1::GetProblemRequest r;
    r.set_problem_id(pid);
    auto d = cli::Call(&v1::Admin::Stub::GetProblem, n.admin(), r);
    return d.ok() ? d->state().status() : v1::STATUS_UNSPECIFIED;
  };
  ASSERT_TRUE(WaitFor([&] { return status_at(*county) == v1::STATUS_CLAIMED; }));
  v1::AppendRequest review;
  review.mutable_body()->set_author("县纪委");
  auto* rv = review.mutable_body()->mutable_claim_reviewed();
  rv->set_problem_id(pid);
  rv->set_claim_record_id(claimed->id());
  rv->set_accepted(true);
  auto reviewed = cli::Call(&v1::Admin::Stub::Append, county->admin(), review);
  ASSERT_TRUE(reviewed.ok()) << reviewed.status();
  auto city = c.Client(kCity);
  EXPECT_TRUE(WaitFor([&] { return status_at(*village) == v1::STATUS_ACCEPTED; }));
  EXPECT_TRUE(WaitFor([&] { return status_at(*city) == v1::STATUS_ACCEPTED; }));
  EXPECT_EQ(Summary(*city, kVillage1).verified_complete(), 1);
  for (const char* u : {kCity, kCounty, kTown, kVillage1}) ExpectVerified(c, u);
}

// (c) SIGKILL the township in the middle of a large push and restart it: no
// record it acknowledged is lost, none is duplicated, all reach the city.
TEST(SyncProcessTest, TownshipKilledMidPushLosesAndDuplicatesNothing) {
  Cluster c;
  BuildChain(c);
  constexpr int kRecords = 6000;
  // The backlog is written in-process first; fsync per record would only slow the setup.
  c.Configure(kVillage1, {{"batch_records", "50"}, {"sync_writes", "false"}});
  {
    auto n = c.OpenNode(kVillage1);
    for (int i = 0; i < kRecords; ++i) {
      v1::RecordBody b;
      b.set_author("test");
      auto* p = b.mutable_problem_raised();
      p->set_unit(kVillage1);
      p->set_source(v1::SOURCE_SELF_CHECK);
      p->set_category("基层组织");
      p->set_title(absl::StrCat("积压问题 ", i));
      ASSERT_TRUE(n->Append(b).ok());
    }
  }
  c.Start(kCity);
  c.Start(kCounty);
  c.Start(kTown);
  c.Start(kVillage1);
  uint64_t received_before_kill = 0;
  ASSERT_TRUE(WaitFor([&] {
    auto t = c.Client(kTown);
    const v1::SyncStatusReply st = SyncStatus(*t);
    for (const auto& l : st.links()) {
      if (l.peer() == kVillage1) received_before_kill = l.records_received();
    }
    return received_before_kill >= 500;
  }, 30000));
  c.Kill(kTown, SIGKILL);
  ASSERT_LT(received_before_kill, static_cast<uint64_t>(kRecords)) << "push finished before the kill";
  // What the village holds receipts for must be durable at the township.
  uint64_t receipted = 0;
  {
    auto v = c.Client(kVillage1);
    auto st = SyncStatus(*v);
    ASSERT_EQ(st.links_size(), 1);
    receipted = kRecords - st.links(0).pending();
  }
  EXPECT_GT(receipted, 0u);
  {
    auto town = c.OpenNode(kTown);
    auto head = town->store()->GetHead(kVillage1);
    ASSERT_TRUE(head.ok());
    EXPECT_GE(head->seq, receipted) << "the township lost records it had receipted";
  }
  c.Start(kTown);
  EXPECT_TRUE(WaitFor([&] { return Problems(c, kCity, kVillage1) == kRecords; }, 60000))
      << "city holds " << Problems(c, kCity, kVillage1);
  // Exactly once: a duplicate would show as an extra problem or a broken chain.
  EXPECT_EQ(Problems(c, kTown, kVillage1), kRecords);
  for (const char* u : {kCity, kCounty, kTown, kVillage1}) ExpectVerified(c, u);
}

// --- (d) a hostile child, played in-process against a real township. ---

class HostileChildTest : public ::testing::Test {
 protected:
  static constexpr char kHostile[] = "3201/320115/320115003/666";

  void SetUp() override {
    BuildChain(c_);
    c_.Add(kHostile, "某村", v1::LEVEL_VILLAGE, kTown, false);
    // A legitimate village log to steal from.
    {
      auto v = c_.OpenNode(kVillage1);
      for (int i = 0; i < 3; ++i) ASSERT_TRUE(v->Append(Body(kVillage1, absl::StrCat("村一 ", i))).ok());
    }
    c_.Start(kCity);
    c_.Start(kCounty);
    c_.Start(kTown);
    c_.Start(kVillage1);
    ASSERT_TRUE(WaitFor([&] { return Problems(c_, kTown, kVillage1) == 3; }));
    hostile_ = c_.OpenNode(kHostile);
    stub_ = v1::Sync::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", c_.member(kTown).port),
                                                  grpc::InsecureChannelCredentials()));
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(hostile_->Append(Body(kHostile, absl::StrCat("恶意 ", i))).ok());
  }

  static v1::RecordBody Body(const std::string& unit, const std::string& title) {
    v1::RecordBody b;
    b.set_author("test");
    auto* p = b.mutable_problem_raised();
    p->set_unit(unit);
    p->set_source(v1::SOURCE_SELF_CHECK);
    p->set_category("基层组织");
    p->set_title(title);
    return b;
  }

  std::vector<v1::Record> Log(node::Node& n, const std::string& origin, uint64_t from, uint64_t to) {
    std::vector<v1::Record> out;
    EXPECT_TRUE(n.store()->ScanOrigin(origin, from, [&](uint64_t seq, const v1::Record& r) {
      if (seq > to) return false;
      out.push_back(r);
      return true;
    }).ok());
    return out;
  }

  // Pushes one batch in its own stream; returns the reply (or the stream error).
  v1::PushReply Push(const std::vector<v1::Record>& records, const v1::Hello* hello = nullptr) {
    return PushOneBatch(stub_.get(), hello ? *hello : Hello(), records);
  }

  // A hello for one call to the township, over a nonce it issued.
  v1::Hello Hello() { return ChallengedHello(stub_.get(), *hostile_, kTown); }

  // What the township holds of the hostile's log.
  uint64_t TownHead() {
    v1::HandshakeRequest req;
    *req.mutable_hello() = Hello();
    v1::HandshakeReply reply;
    grpc::ClientContext ctx;
    EXPECT_TRUE(stub_->Handshake(&ctx, req, &reply).ok());
    for (const auto& f : reply.frontier()) {
      if (f.origin() == kHostile) return f.seq();
    }
    return 0;
  }

  // `r` with its body re-serialized after `edit`, the old signature kept.
  static v1::Record Tampered(const v1::Record& r, const std::function<void(v1::RecordBody*)>& edit) {
    v1::RecordBody b;
    EXPECT_TRUE(b.ParseFromString(r.body()));
    edit(&b);
    v1::Record out = r;
    out.set_body(b.SerializeAsString());
    return out;
  }

  Cluster c_;
  std::unique_ptr<node::Node> hostile_;
  std::unique_ptr<v1::Sync::Stub> stub_;
};

TEST_F(HostileChildTest, RefusesWhatIsNotAuthenticAndInItsSubtree) {
  // A sibling's records: outside the pusher's subtree.
  {
    std::vector<v1::Record> stolen;
    {
      c_.Kill(kVillage1, SIGTERM);
      auto v1n = c_.OpenNode(kVillage1);
      stolen = Log(*v1n, kVillage1, 1, 3);
    }
    v1::PushReply r = Push(stolen);
    EXPECT_EQ(r.code(), grpc::StatusCode::PERMISSION_DENIED) << r.error();
    EXPECT_NE(r.error().find("outside the subtree"), std::string::npos) << r.error();
  }
  // A hello signed by another key.
  {
    v1::Hello h = Hello();
    std::string sig = h.signature();
    sig[7] ^= 1;
    h.set_signature(sig);
    v1::PushReply r = Push(Log(*hostile_, kHostile, 1, 5), &h);
    EXPECT_EQ(r.code(), grpc::StatusCode::UNAUTHENTICATED) << r.error();
  }
  // A forgery at every position of a batch: nothing of it is stored.
  const std::vector<v1::Record> good = Log(*hostile_, kHostile, 1, 5);
  ASSERT_EQ(good.size(), 5u);
  for (size_t i = 0; i < good.size(); ++i) {
    std::vector<v1::Record> forged = good;
    forged[i] = Tampered(good[i], [](v1::RecordBody* b) { b->set_author("冒名"); });
    v1::PushReply r = Push(forged);
    EXPECT_NE(r.code(), 0) << "forgery at position " << i << " accepted";
    EXPECT_EQ(TownHead(), 0u) << "forgery at position " << i << " stored something";
    // The signature alone replaced.
    forged = good;
    std::string sig = good[i].signature();
    sig[0] ^= 0x40;
    forged[i].set_signature(sig);
    r = Push(forged);
    // A bad signature before the last record changes that record's id and so
    // breaks the link to the next; on the last it fails verification.
    EXPECT_NE(r.code(), 0) << "bad signature at position " << i << " accepted";
    EXPECT_EQ(TownHead(), 0u);
  }
  // A broken chain: seq 1, 2, then 4.
  {
    v1::PushReply r = Push({good[0], good[1], good[3]});
    EXPECT_EQ(r.code(), grpc::StatusCode::INVALID_ARGUMENT) << r.error();
    EXPECT_EQ(TownHead(), 0u);
    r = Push({good[1], good[2]});  // does not start at the held head
    EXPECT_EQ(r.code(), grpc::StatusCode::FAILED_PRECONDITION) << r.error();
    EXPECT_EQ(TownHead(), 0u);
  }
  // The genuine batch is accepted with a receipt the hostile can check.
  {
    v1::PushReply r = Push(good);
    ASSERT_EQ(r.code(), 0) << r.error();
    EXPECT_EQ(r.stored(), 5u);
    auto receipt = hostile_->CheckReceipt(kTown, r.receipt());
    ASSERT_TRUE(receipt.ok()) << receipt.status();
    EXPECT_EQ(receipt->seq(), 5u);
    EXPECT_EQ(TownHead(), 5u);
  }
  // A replay stores nothing and says so.
  {
    v1::PushReply r = Push(good);
    EXPECT_EQ(r.code(), 0) << r.error();
    EXPECT_EQ(r.stored(), 0u);
    EXPECT_EQ(r.duplicates(), 5u);
    EXPECT_EQ(TownHead(), 5u);
  }
  // A fork: a second, validly signed record at seq 3. Both are kept, the
  // origin is frozen, and status shows it.
  {
    auto key = record::KeyPair::Load(c_.member(kHostile).dir + "/node.key");
    ASSERT_TRUE(key.ok());
    v1::RecordBody b;
    ASSERT_TRUE(b.ParseFromString(good[2].body()));
    b.mutable_problem_raised()->set_title("另一个版本");
    v1::Record other = record::Seal(b, *key);
    v1::PushReply r = Push({other});
    EXPECT_EQ(r.code(), grpc::StatusCode::FAILED_PRECONDITION) << r.error();
    EXPECT_NE(r.error().find("fork"), std::string::npos) << r.error();
    ASSERT_TRUE(hostile_->Append(Body(kHostile, "分叉之后")).ok());
    r = Push(Log(*hostile_, kHostile, 6, 6));
    EXPECT_EQ(r.code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_NE(r.error().find("frozen"), std::string::npos) << r.error();
    auto town = c_.Client(kTown);
    auto st = SyncStatus(*town);
    ASSERT_EQ(st.forks_size(), 1);
    EXPECT_EQ(st.forks(0).origin(), kHostile);
    EXPECT_EQ(st.forks(0).seq(), 3u);
    bool refusals_counted = false;
    for (const auto& l : st.links()) {
      if (l.peer() == kHostile) refusals_counted = l.refusals() >= 10;
    }
    EXPECT_TRUE(refusals_counted);
  }
  // Nothing else was lost: the township's ledger verifies, still holds the
  // village's records, and other origins keep syncing to the city.
  ExpectVerified(c_, kTown);
  EXPECT_EQ(Problems(c_, kTown, kVillage1), 3);
  EXPECT_EQ(Problems(c_, kTown, kHostile), 5);
  c_.Start(kVillage2);
  {
    auto v2 = c_.Client(kVillage2);
    Raise(*v2, "村务公开不及时");
  }
  EXPECT_TRUE(WaitFor([&] { return Problems(c_, kCity, kVillage2) == 1; }));
  EXPECT_TRUE(WaitFor([&] { return Problems(c_, kCity, kHostile) == 5; }));
}

}  // namespace
}  // namespace rectsync::testing
