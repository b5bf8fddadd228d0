// Failover to the grandparent (DESIGN §7): a township's node is down for
// the whole middle of the test; its villages, which list the county as
// their failover upstream, keep syncing through the county, and the
// county's review reaches them there. When the township returns it takes
// from the county what its villages wrote meanwhile, and every level ends
// with the same records, clean chains and equal summaries.
#include <signal.h>

#include <map>
#include <string>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/sync/cluster.h"

namespace rectsync::testing {
namespace {

std::map<std::string, int64_t> ByStatus(const v1::Summary& s) { return {s.by_status().begin(), s.by_status().end()}; }

// The summary's counts, without who answered and when.
std::string Counts(v1::Summary s) {
  s.clear_as_of_ms();
  s.clear_answered_by();
  return s.SerializeAsString();
}

bool FailedOver(cli::NodeClient& c) {
  const v1::SyncStatusReply st = SyncStatus(c);
  for (const v1::LinkStatus& l : st.links()) {
    if (l.failover() && l.last_success_ms() > 0) return true;
  }
  return false;
}

class FailoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BuildChain(c_);
    const std::string county = absl::StrCat("'127.0.0.1:", c_.member(kCounty).port, "'");
    for (const char* v : {kVillage1, kVillage2}) {
      c_.Configure(v, {{"failover", county}, {"failover_after_ms", "1500"}});
    }
    for (const char* u : {kCity, kCounty, kTown, kVillage1, kVillage2}) c_.Start(u);
  }
  Ran MustCli(const std::string& unit, const std::string& args) {
    Ran r = c_.Cli(unit, args);
    EXPECT_EQ(r.code, 0) << "rectsync " << args << " on " << unit << ":\n" << r.out;
    return r;
  }
  uint64_t Head(const std::string& at, const std::string& origin) { return HeadAt(*c_.Client(at), origin); }
  // `at` holds every record `origin`'s own node holds.
  bool Holds(const std::string& at, const std::string& origin) {
    return WaitFor([&] { return Head(at, origin) == Head(origin, origin); }, 30000);
  }
  Cluster c_;
};

TEST_F(FailoverTest, VillagesSyncThroughTheCountyWhileTheirTownshipIsDownAndItCatchesUpAfter) {
  const std::string v1p = absl::StrCat(kVillage1, ":X1");
  MustCli(kVillage1, "problem raise --id X1 --category 其他 --title 村务公开不及时 --source self-check");
  MustCli(kVillage2, "problem raise --id Y1 --category 其他 --title 集体资产台账不全 --source self-check");
  for (const char* v : {kVillage1, kVillage2}) ASSERT_TRUE(Holds(kCity, v)) << v;

  // The township's machine dies.
  c_.Kill(kTown, SIGKILL);
  MustCli(kVillage1, "measure add X1 --text 每月5日前公开村务");
  MustCli(kVillage1, "progress X1 --note 已在公开栏公示");
  MustCli(kVillage1, "claim X1 --kind completed --note 已整改");
  MustCli(kVillage2, "problem raise --id Y2 --category 其他 --title 议事规则未落实 --source self-check");
  MustCli(kVillage2, "progress Y1 --note 已清点集体资产");

  // After failover_after_ms without the township, the villages push to the
  // county; the county and the city take the records.
  for (const char* v : {kVillage1, kVillage2}) {
    ASSERT_TRUE(WaitFor([&] { return FailedOver(*c_.Client(v)); }, 30000)) << v;
    ASSERT_TRUE(Holds(kCounty, v)) << v;
    ASSERT_TRUE(Holds(kCity, v)) << v;
  }
  Ran status = MustCli(kVillage1, "status");
  EXPECT_NE(status.out.find("failover parent 3201/320115"), std::string::npos) << status.out;

  // The county reviews the claim meanwhile (an ordinary record, under the
  // usual authority rules), and it reaches the village through the county.
  MustCli(kCounty, absl::StrCat("review ", v1p, " --accept --note 县级验收通过"));
  MustCli(kCounty, absl::StrCat("problem raise --unit ", kVillage2, " --category 其他 --title 县级督查发现的问题"));
  ASSERT_TRUE(WaitFor([&] {
    return ByStatus(Summary(*c_.Client(kVillage1))) == ByStatus(Summary(*c_.Client(kCounty), kVillage1));
  }, 30000)) << Summary(*c_.Client(kVillage1)).DebugString();
  ASSERT_TRUE(WaitFor([&] { return Summary(*c_.Client(kVillage2)).problems() == 3u; }, 30000));

  // The township returns and catches up from the county: its villages'
  // records and the county's review, with no duplicates. The second
  // village is offline by then, so its records can only come from above;
  // the first pushes its own too, and the township keeps one copy.
  c_.Kill(kVillage2, SIGTERM);
  c_.Start(kTown);
  for (const char* v : {kVillage1, kVillage2}) ASSERT_TRUE(Holds(kTown, v)) << v;
  c_.Start(kVillage2);
  ASSERT_TRUE(WaitFor([&] {
    return ByStatus(Summary(*c_.Client(kTown), kVillage1)) == ByStatus(Summary(*c_.Client(kVillage1)));
  }, 30000));

  // Back to normal: a new record goes through the township.
  MustCli(kVillage1, "progress X1 --note 公开栏按月更新");
  ASSERT_TRUE(Holds(kTown, kVillage1));
  ASSERT_TRUE(Holds(kCity, kVillage1));
  ASSERT_TRUE(Holds(kCity, kTown));

  for (const char* u : {kVillage1, kVillage2, kTown, kCounty, kCity}) {
    v1::VerifyReply v = Verify(*c_.Client(u));
    EXPECT_TRUE(v.ok()) << u << ": " << v.DebugString();
    EXPECT_EQ(v.revoked_size(), 0) << u;
  }
  // Every level answers for the township's subtree with the fold of the
  // same records.
  const v1::Summary at_town = Summary(*c_.Client(kTown), kTown);
  EXPECT_EQ(at_town.problems(), 4u);
  for (const char* u : {kCounty, kCity}) {
    ASSERT_TRUE(WaitFor([&] { return Counts(Summary(*c_.Client(u), kTown)) == Counts(at_town); },
                        30000))
        << u << ":\n" << Summary(*c_.Client(u), kTown).DebugString() << "town:\n" << at_town.DebugString();
  }
  MustCli(kCity, "reconcile");
}

}  // namespace
}  // namespace rectsync::testing
