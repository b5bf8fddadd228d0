// Attestations state their frontier as what moved (Node::Attest): the first
// one since a node opened states the whole frontier of its subtree, later
// ones only the origins whose heads moved since the one before, over it as
// frontier_base. A parent recomputing them (Reconcile) resolves the whole
// frontier back through the bases and finds them exact.
#include "node/daemon/test_nodes.h"

namespace rectsync::node::testing {
namespace {

constexpr int kTownships = 5;

class AttestTest : public NodeTest {
 protected:
  // Enrols kTownships townships under the county, each raising one problem
  // that the county takes as pushed.
  void EnrolTownships() {
    for (int i = 0; i < kTownships; ++i) {
      const std::string unit = absl::StrCat(kCounty, "/32011500", i);
      const std::string dir = absl::StrCat(dir_.path(), "/town", i);
      absl::StatusOr<std::string> pk = Node::KeyGen(dir);
      ASSERT_TRUE(pk.ok()) << pk.status();
      v1::EnrollRequest req;
      req.set_author("admin");
      req.set_unit(unit);
      req.set_name(absl::StrCat("第", i, "镇"));
      req.set_level(v1::LEVEL_TOWNSHIP);
      req.set_public_key(*pk);
      absl::StatusOr<v1::EnrollmentBundle> bundle = county_->Enroll(req);
      ASSERT_TRUE(bundle.ok()) << bundle.status();
      ASSERT_TRUE(Node::InitFromBundle(dir, *bundle).ok());
      towns_.push_back(OpenNode(dir, &clock_));
      ASSERT_NE(towns_.back(), nullptr);
      TownWrites(i);
    }
  }
  // Township i raises a problem; the county takes it as pushed.
  void TownWrites(int i) {
    Node& town = *towns_[i];
    const uint64_t from = town.store()->GetHead(town.unit())->seq + 1;
    MustAppend(town, Raise(town.unit(), "村级财务管理不规范"));
    Push(town, *county_, from);
  }
  // `from`'s own log from seq `from_seq`, pushed to `to` and taken whole.
  void Push(Node& from, Node& to, uint64_t from_seq = 1) {
    v1::PushBatch b;
    ASSERT_TRUE(from.store()->ScanOrigin(from.unit(), from_seq, [&](uint64_t, const v1::Record& r) {
      *b.add_records() = r;
      return true;
    }).ok());
    const v1::PushReply r = to.IngestPush(from.unit(), b);
    ASSERT_EQ(r.code(), 0) << r.error();
  }
  v1::SummaryAttested LatestAttestation(Node& node) {
    absl::StatusOr<std::optional<v1::Record>> env = node.LatestOwnAttestation();
    EXPECT_TRUE(env.ok() && *env) << "no attestation";
    if (!env.ok() || !*env) return {};
    return record::Decode(**env)->body.summary_attested();
  }

  std::vector<std::unique_ptr<Node>> towns_;
};

TEST_F(AttestTest, AnAttestationListsWhatMovedAndAParentResolvesTheWholeFrontier) {
  EnrolCounty(&clock_);
  EnrolTownships();
  ASSERT_TRUE(*county_->Attest("rectsyncd"));
  const v1::SummaryAttested first = LatestAttestation(*county_);
  EXPECT_EQ(first.frontier_base(), 0u);
  EXPECT_EQ(first.frontier_size(), 1 + kTownships);  // the county and every township

  // One township moves: the next attestation lists it and the county
  // (whose last record is the attestation before), over that one.
  TownWrites(2);
  const uint64_t first_seq = HeadSeq(*county_);
  ASSERT_TRUE(*county_->Attest("rectsyncd"));
  const v1::SummaryAttested second = LatestAttestation(*county_);
  EXPECT_EQ(second.frontier_base(), first_seq);
  ASSERT_EQ(second.frontier_size(), 2) << "before: the whole subtree, 6 entries, at every attestation";
  EXPECT_EQ(second.frontier(0).origin(), kCounty);
  EXPECT_EQ(second.frontier(1).origin(), towns_[2]->unit());
  EXPECT_EQ(second.frontier(1).seq(), 2u);

  // The city holds the county's subtree and recomputes both attestations at
  // their whole frontiers: no differences.
  Push(*county_, *root_);  // the townships' enrolments first
  for (auto& town : towns_) Push(*town, *root_);
  v1::ReconcileRequest req;
  absl::StatusOr<v1::ReconcileReply> rec = root_->Reconcile(req);
  ASSERT_TRUE(rec.ok()) << rec.status();
  EXPECT_EQ(rec->attestations_checked(), 1u);  // the latest of the county
  EXPECT_EQ(rec->differences_size(), 0) << rec->differences(0).detail();
  absl::StatusOr<std::optional<v1::Record>> env = county_->LatestOwnAttestation();
  ASSERT_TRUE(env.ok() && *env);
  absl::StatusOr<std::optional<std::vector<v1::FrontierEntry>>> whole =
      root_->AttestedFrontier(*record::Decode(**env));
  ASSERT_TRUE(whole.ok() && *whole) << whole.status();
  ASSERT_EQ((*whole)->size(), 1u + kTownships);
  for (const v1::FrontierEntry& f : **whole) {
    if (f.origin() == kCounty) {
      EXPECT_EQ(f.seq(), first_seq);
    }
    if (f.origin() == towns_[2]->unit()) {
      EXPECT_EQ(f.seq(), 2u);
    }
  }

  // Reopened, the county states its whole frontier again once.
  county_.reset();
  county_ = OpenNode(county_dir(), &clock_);
  TownWrites(0);
  ASSERT_TRUE(*county_->Attest("rectsyncd"));
  EXPECT_EQ(LatestAttestation(*county_).frontier_base(), 0u);
  EXPECT_EQ(LatestAttestation(*county_).frontier_size(), 1 + kTownships);
}

TEST_F(AttestTest, AFrontierBaseMustNameAnEarlierRecord) {
  v1::RecordBody b;
  b.set_author("admin");
  b.mutable_summary_attested()->set_unit(kCity);
  b.mutable_summary_attested()->set_frontier_base(HeadSeq(*root_) + 1);
  ExpectRefused(*root_, b, absl::StatusCode::kInvalidArgument, "frontier_base");
}

}  // namespace
}  // namespace rectsync::node::testing
