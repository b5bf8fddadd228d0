// Aggregation across real processes (DESIGN §8): reconciliation of
// attested summaries and reported figures, and live summaries pulled from
// the node that owns a unit.
#include <signal.h>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/sync/cluster.h"

namespace rectsync::testing {
namespace {

// The chain, attesting every 100 ms.
void BuildAttestingChain(Cluster& c, bool villages_listen) {
  BuildChain(c, villages_listen);
  for (const char* u : {kCounty, kTown, kVillage1, kVillage2}) {
    c.Configure(u, {{"attest_interval_ms", "100"}});
  }
}

v1::ReconcileReply Reconcile(Cluster& c, const std::string& at) {
  auto client = c.Client(at);
  auto r = cli::Call(&v1::Admin::Stub::Reconcile, client->admin(), v1::ReconcileRequest());
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : v1::ReconcileReply();
}

std::string Describe(const v1::ReconcileReply& r) {
  std::string out;
  for (const auto& d : r.differences()) {
    absl::StrAppend(&out, d.kind(), " ", d.unit(), " ", d.key(), " ", d.stated(), "/", d.recorded(),
                    "; ");
  }
  return out;
}

v1::AppendReply AppendFigures(cli::NodeClient& c, const std::string& unit,
                              const std::vector<std::pair<std::string, int64_t>>& figures) {
  v1::AppendRequest req;
  req.mutable_body()->set_author("test");
  auto* f = req.mutable_body()->mutable_figures_reported();
  f->set_unit(unit);
  f->set_period("2023-Q2");
  for (const auto& [k, v] : figures) {
    v1::Figure* x = f->add_figures();
    x->set_indicator(k);
    x->set_value(v);
  }
  auto r = cli::Call(&v1::Admin::Stub::Append, c.admin(), req);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : v1::AppendReply();
}

TEST(ReconcileProcessTest, ACleanHierarchyReportsNoDifferences) {
  Cluster c;
  BuildAttestingChain(c, false);
  for (const char* u : {kCity, kCounty, kTown, kVillage1, kVillage2}) c.Start(u);
  {
    auto v1c = c.Client(kVillage1);
    auto v2c = c.Client(kVillage2);
    auto county = c.Client(kCounty);
    for (int i = 0; i < 4; ++i) Raise(*v1c, absl::StrCat("问题 ", i));
    Raise(*v2c, "村务公开不及时");
    Raise(*county, "低保审核不严", kVillage2);
    AppendFigures(*v1c, kVillage1, {{"problems", 4}, {"problems_collected", 7},
                                     {"problems_collected/民生诉求", 5},
                                     {"problems_collected/信访", 2}});
  }
  // Every node below the city attests; the city recomputes each. While sync
  // is still under way an attestation can name records not yet received
  // (a node's own log goes up before its children's), so wait for the
  // hierarchy to settle: a lasting difference fails the wait.
  v1::ReconcileReply r;
  EXPECT_TRUE(WaitFor([&] {
    r = Reconcile(c, kCity);
    return r.attestations_checked() >= 4 && r.figures_checked() >= 4 &&
           Summary(*c.Client(kCity)).problems() == 6 && r.differences().empty();
  }, 30000)) << "attestations checked: " << r.attestations_checked() << "; " << Describe(r);
  EXPECT_EQ(r.differences_size(), 0) << Describe(r);
}

TEST(ReconcileProcessTest, PlantedDiscrepanciesAreFoundWithTheRecordsBehindThem) {
  Cluster c;
  BuildAttestingChain(c, false);
  // The villages attest by hand here, so that a false attestation stands.
  c.Configure(kVillage1, {{"attest_interval_ms", "0"}});
  c.Configure(kVillage2, {{"attest_interval_ms", "0"}});
  {
    auto v1n = c.OpenNode(kVillage1);
    for (int i = 0; i < 3; ++i) {
      v1::RecordBody b;
      b.set_author("test");
      auto* p = b.mutable_problem_raised();
      p->set_unit(kVillage1);
      p->set_source(v1::SOURCE_INSPECTION);
      p->set_category("基层组织");
      p->set_title(absl::StrCat("问题 ", i));
      ASSERT_TRUE(v1n->Append(b).ok());
    }
    // 1. A summary that overstates: 5 problems where the records hold 3.
    auto head = v1n->store()->GetHead(kVillage1);
    ASSERT_TRUE(head.ok());
    v1::RecordBody a;
    a.set_author("test");
    auto* s = a.mutable_summary_attested();
    s->set_unit(kVillage1);
    auto* f = s->add_frontier();
    f->set_origin(kVillage1);
    f->set_seq(head->seq);
    f->set_head(head->id);
    for (const auto& [k, v] : std::vector<std::pair<std::string, int64_t>>{
             {"category/基层组织", 3}, {"due/none", 3}, {"problems", 5}, {"source/inspection", 3},
             {"status/open", 3}}) {
      auto* x = s->add_counters();
      x->set_key(k);
      x->set_value(v);
    }
    ASSERT_TRUE(v1n->Append(a).ok());
    // 2. Figures: 31 rectified claimed against a ledger with none verified,
    //    and parts that do not add up.
    v1::RecordBody fig;
    fig.set_author("test");
    auto* fr = fig.mutable_figures_reported();
    fr->set_unit(kVillage1);
    fr->set_period("2023-Q2");
    for (const auto& [k, v] : std::vector<std::pair<std::string, int64_t>>{
             {"rectified", 31}, {"problems_collected", 10}, {"problems_collected/民生诉求", 4}}) {
      auto* x = fr->add_figures();
      x->set_indicator(k);
      x->set_value(v);
    }
    ASSERT_TRUE(v1n->Append(fig).ok());
  }
  {
    // 3. An attestation naming records the parent never received.
    auto v2n = c.OpenNode(kVillage2);
    v1::RecordBody a;
    a.set_author("test");
    auto* s = a.mutable_summary_attested();
    s->set_unit(kVillage2);
    auto* f = s->add_frontier();
    f->set_origin(kVillage2);
    f->set_seq(40);
    f->set_head(std::string(32, 'x'));
    ASSERT_TRUE(v2n->Append(a).ok());
  }
  for (const char* u : {kCity, kCounty, kTown, kVillage1, kVillage2}) c.Start(u);
  v1::ReconcileReply r;
  auto has = [&](const std::string& kind, const std::string& unit, const std::string& key) {
    for (const auto& d : r.differences()) {
      if (d.kind() == kind && d.unit() == unit && d.key() == key) return &d;
    }
    return static_cast<const v1::Difference*>(nullptr);
  };
  ASSERT_TRUE(WaitFor([&] {
    r = Reconcile(c, kCity);
    return has("attested_counter", kVillage1, "problems") && has("missing_records", kVillage2, kVillage2);
  }, 30000)) << Describe(r);
  const v1::Difference* d = has("attested_counter", kVillage1, "problems");
  EXPECT_EQ(d->stated(), 5);
  EXPECT_EQ(d->recorded(), 3);
  EXPECT_GE(d->records_size(), 4);  // the three problems and the attestation
  d = has("missing_records", kVillage2, kVillage2);
  EXPECT_EQ(d->stated(), 40);
  EXPECT_EQ(d->recorded(), 1);
  d = has("figure_vs_ledger", kVillage1, "rectified");
  ASSERT_NE(d, nullptr) << Describe(r);
  EXPECT_EQ(d->stated(), 31);
  EXPECT_EQ(d->recorded(), 0);
  d = has("parts_vs_total", kVillage1, "problems_collected");
  ASSERT_NE(d, nullptr) << Describe(r);
  EXPECT_EQ(d->recorded(), 4);
  // The honest units reconcile clean: nothing else is listed.
  for (const auto& x : r.differences()) {
    EXPECT_TRUE(x.unit() == kVillage1 || x.unit() == kVillage2) << Describe(r);
  }
}

TEST(LiveSummaryProcessTest, TheCityAsksTheVillageNodeThroughTheChain) {
  Cluster c;
  BuildAttestingChain(c, true);
  c.Configure(kVillage2, {{"listen", "''"}});  // no public port: no live answer
  for (const char* u : {kCity, kCounty, kTown, kVillage1, kVillage2}) c.Start(u);
  {
    auto v1c = c.Client(kVillage1);
    Raise(*v1c, "三会一课落实不到位");
  }
  auto city = c.Client(kCity);
  v1::SummaryRequest req;
  req.set_unit(kVillage1);
  req.set_live(true);
  absl::StatusOr<v1::Summary> s;
  ASSERT_TRUE(WaitFor([&] {
    s = cli::Call(&v1::Admin::Stub::GetSummary, city->admin(), req);
    return s.ok() && s->problems() == 1;
  })) << s.status();
  EXPECT_TRUE(s->live());
  EXPECT_EQ(s->answered_by(), kVillage1);
  ASSERT_TRUE(WaitFor([&] { return Summary(*city, kVillage1).problems() == 1; }));
  // The village keeps writing while its uplink is cut: the live answer sees
  // it, the city's own ledger does not yet.
  c.Kill(kTown, SIGTERM);
  {
    auto v1c = c.Client(kVillage1);
    Raise(*v1c, "村务公开不及时");
  }
  req.set_unit(kVillage1);
  auto live = cli::Call(&v1::Admin::Stub::GetSummary, city->admin(), req);
  // The township is the hop between them: with it down the live call fails
  // with a message naming the hop, and the ledger answer still stands.
  EXPECT_FALSE(live.ok());
  EXPECT_NE(live.status().message().find(kCounty), std::string::npos) << live.status();
  v1::SummaryRequest ledger;
  ledger.set_unit(kVillage1);
  auto stale = cli::Call(&v1::Admin::Stub::GetSummary, city->admin(), ledger);
  ASSERT_TRUE(stale.ok());
  EXPECT_EQ(stale->problems(), 1);
  EXPECT_FALSE(stale->live());
  c.Start(kTown);
  ASSERT_TRUE(WaitFor([&] {
    auto l = cli::Call(&v1::Admin::Stub::GetSummary, city->admin(), req);
    return l.ok() && l->problems() == 2;
  }));
  // A unit whose node has no public address cannot answer live.
  req.set_unit(kVillage2);
  auto none = cli::Call(&v1::Admin::Stub::GetSummary, city->admin(), req);
  EXPECT_EQ(none.status().code(), absl::StatusCode::kFailedPrecondition) << none.status();
}

}  // namespace
}  // namespace rectsync::testing

namespace rectsync::testing {
namespace {

TEST(SummaryOnlyUplinkProcessTest, ParentsAnswerForASubtreeFromItsAttestationsAlone) {
  Cluster c;
  BuildAttestingChain(c, false);
  c.Configure(kTown, {{"uplink", "'summary'"}, {"attest_interval_ms", "100"}});
  for (const char* u : {kCity, kCounty, kTown, kVillage1}) c.Start(u);
  {
    auto v = c.Client(kVillage1);
    for (int i = 0; i < 3; ++i) Raise(*v, absl::StrCat("问题 ", i));
  }
  auto county = c.Client(kCounty);
  auto city = c.Client(kCity);
  EXPECT_TRUE(WaitFor([&] { return Summary(*county, kTown).problems() == 3; }))
      << Summary(*county, kTown).problems();
  EXPECT_TRUE(WaitFor([&] { return Summary(*city).problems() == 3; })) << Summary(*city).problems();
  // No record of the subtree went up: nothing to list or drill into.
  v1::ListProblemsRequest ls;
  ls.set_unit(kTown);
  auto list = cli::Call(&v1::Admin::Stub::ListProblems, county->admin(), ls);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->problems_size(), 0);
  // A change below shows up in the next attestation.
  {
    auto v = c.Client(kVillage1);
    Raise(*v, "第四个问题");
  }
  EXPECT_TRUE(WaitFor([&] { return Summary(*city).problems() == 4; }));
  EXPECT_EQ(Summary(*city, kCounty).by_status().at("open"), 4);
  // Reconciliation has no records to recompute these from and lists nothing.
  EXPECT_EQ(Reconcile(c, kCity).differences_size(), 0) << Describe(Reconcile(c, kCity));
  EXPECT_TRUE(Verify(*county).ok());
}

}  // namespace
}  // namespace rectsync::testing
