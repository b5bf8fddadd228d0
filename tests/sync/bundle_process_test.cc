// Sync by USB stick (离线包): a village with no network at all carries its
// records to the township as a bundle file and brings back the answer.
// Real daemons for city, county and township (syncing online among
// themselves); the village never runs a daemon, so a bundle is its only way
// up or down. Every step goes through the `rectsync` CLI as an officer
// would type it.
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/sync/cluster.h"

namespace rectsync::testing {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
void Spit(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

std::map<std::string, int64_t> ByStatus(const v1::Summary& s) {
  return {s.by_status().begin(), s.by_status().end()};
}

class BundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BuildChain(c_);
    for (const char* u : {kCity, kCounty, kTown}) c_.Start(u);
    files_ = c_.root_dir() + "/stick";
    ASSERT_EQ(Shell("mkdir -p " + files_).code, 0);
  }
  Ran Cli(const std::string& unit, const std::string& args, const std::string& author = "officer") {
    return c_.Cli(unit, args, author);
  }
  Ran MustCli(const std::string& unit, const std::string& args, const std::string& author = "officer") {
    Ran r = Cli(unit, args, author);
    EXPECT_EQ(r.code, 0) << "rectsync " << args << " on " << unit << ":\n" << r.out;
    return r;
  }
  // The village's records carried up, the answer carried back: the paths.
  std::pair<std::string, std::string> RoundTrip(const std::string& tag) {
    const std::string up = absl::StrCat(files_, "/", tag, "-up.rsbundle");
    const std::string down = absl::StrCat(files_, "/", tag, "-down.rsbundle");
    MustCli(kVillage1, "bundle export --out " + up);
    MustCli(kTown, absl::StrCat("bundle import ", up, " --answer ", down));
    MustCli(kVillage1, "bundle import " + down);
    return {up, down};
  }
  bool CityHolds(const std::string& origin, uint64_t seq) {
    return WaitFor([&] { return HeadAt(*c_.Client(kCity), origin) >= seq; }, 30000);
  }
  Cluster c_;
  std::string files_;
};

TEST_F(BundleTest, AMonthOfWorkTravelsByStickBothWaysAndAReplayChangesNothing) {
  // Week 1: the township raises two problems against the village; they
  // reach the village only by stick.
  auto town = c_.Client(kTown);
  Raise(*town, "村务公开不及时", kVillage1);
  Raise(*town, "集体资产台账不全", kVillage1);
  town.reset();
  const std::string first_down = files_ + "/w1-down.rsbundle";
  Ran exported = MustCli(kTown, absl::StrCat("bundle export --for ", kVillage1, " --out ", first_down));
  EXPECT_NE(exported.out.find("exported bundle"), std::string::npos) << exported.out;
  Ran took = MustCli(kVillage1, "bundle import " + first_down);
  EXPECT_NE(took.out.find("imported bundle"), std::string::npos) << took.out;
  {
    auto village = c_.Client(kVillage1);
    EXPECT_EQ(Summary(*village).problems(), 2u);
  }
  // The ids the township gave them.
  Ran ls = MustCli(kVillage1, "--json problem ls");
  std::vector<std::string> ids;
  for (absl::string_view line : absl::StrSplit(ls.out, '\n')) {
    const size_t at = line.find("\"problem_id\": \"");
    if (at != absl::string_view::npos) {
      absl::string_view rest = line.substr(at + 15);
      ids.emplace_back(rest.substr(0, rest.find('"')));
    }
  }
  ASSERT_GE(ids.size(), 2u) << ls.out;

  // Weeks 2–4: the village works on them, and raises one of its own;
  // between visits it carries two bundles up and back.
  MustCli(kVillage1, absl::StrCat("measure add ", ids[0], " --text 每月5日前公开村务"));
  MustCli(kVillage1, absl::StrCat("progress ", ids[0], " --note 已在公开栏公示"));
  MustCli(kVillage1, "problem raise --category 其他 --title 自查发现的问题 --source self-check");
  auto [up1, down1] = RoundTrip("w2");
  MustCli(kVillage1, absl::StrCat("progress ", ids[1], " --note 已清点集体资产"));
  MustCli(kVillage1, absl::StrCat("claim ", ids[0], " --kind completed --note 已整改"));
  auto [up2, down2] = RoundTrip("w3");

  // Everything the village wrote is at the township and, online, the city.
  uint64_t village_head = 0;
  {
    auto village = c_.Client(kVillage1);
    village_head = HeadAt(*village, kVillage1);
    v1::SyncStatusReply st = SyncStatus(*village);
    ASSERT_EQ(st.links_size(), 1);
    EXPECT_EQ(st.links(0).pending(), 0u) << "the answer's receipts cover every record carried";
    EXPECT_EQ(st.links(0).bundles(), 3u);
  }
  ASSERT_GT(village_head, 0u);
  EXPECT_EQ(HeadAt(*c_.Client(kTown), kVillage1), village_head);
  ASSERT_TRUE(CityHolds(kVillage1, village_head));

  // The township accepts the claim and closes the problem; the review and
  // the closure come down by stick.
  MustCli(kTown, absl::StrCat("review ", ids[0], " --accept --note 经核查属实"));
  MustCli(kTown, absl::StrCat("close ", ids[0]));
  RoundTrip("w4");
  {
    auto village = c_.Client(kVillage1);
    auto detail = cli::Call(&v1::Admin::Stub::GetProblem, village->admin(), [&] {
      v1::GetProblemRequest r;
      r.set_problem_id(ids[0]);
      return r;
    }());
    ASSERT_TRUE(detail.ok()) << detail.status();
    EXPECT_EQ(detail->state().status(), v1::STATUS_CLOSED);
    EXPECT_EQ(Summary(*village).problems(), 3u);
  }

  // A replay of an old bundle, either way, changes nothing.
  const uint64_t town_head = HeadAt(*c_.Client(kTown), kVillage1);
  Ran again = MustCli(kTown, absl::StrCat("bundle import ", up1, " --answer ", files_, "/replay.rsbundle"));
  EXPECT_NE(again.out.find("stored 0"), std::string::npos) << again.out;
  EXPECT_EQ(HeadAt(*c_.Client(kTown), kVillage1), town_head);
  Ran back = MustCli(kVillage1, "bundle import " + down1);
  EXPECT_NE(back.out.find("stored 0"), std::string::npos) << back.out;
  {
    auto village = c_.Client(kVillage1);
    EXPECT_EQ(SyncStatus(*village).links(0).pending(), 0u) << "an old receipt does not move the cursor back";
  }

  // Every node verifies, and the city's summary of the village equals the
  // village's own.
  for (const char* u : {kVillage1, kTown, kCounty, kCity}) {
    auto c = c_.Client(u);
    EXPECT_TRUE(Verify(*c).ok()) << u;
  }
  ASSERT_TRUE(CityHolds(kVillage1, HeadAt(*c_.Client(kVillage1), kVillage1)));
  const v1::Summary mine = Summary(*c_.Client(kVillage1));
  EXPECT_TRUE(WaitFor([&] {
    const v1::Summary city = Summary(*c_.Client(kCity), kVillage1);
    return city.problems() == mine.problems() && ByStatus(city) == ByStatus(mine);
  }));
}

TEST_F(BundleTest, DamagedTruncatedForeignAndAlteredBundlesAreRefusedWhole) {
  MustCli(kVillage1, "problem raise --category 其他 --title 自查问题 --source self-check");
  const std::string good = files_ + "/good.rsbundle";
  MustCli(kVillage1, "bundle export --out " + good);
  const std::string bytes = Slurp(good);
  ASSERT_GT(bytes.size(), 200u);
  auto refused = [&](const std::string& name, const std::string& data, const std::string& unit,
                     const std::string& says) {
    const std::string path = files_ + "/" + name;
    Spit(path, data);
    Ran r = Cli(unit, "bundle import " + path);
    EXPECT_NE(r.code, 0) << name << " was taken:\n" << r.out;
    EXPECT_NE(r.out.find(says), std::string::npos) << name << ": " << r.out;
  };
  refused("truncated.rsbundle", bytes.substr(0, bytes.size() - 100), kTown, "truncated bundle: the file holds");
  refused("header.rsbundle", bytes.substr(0, 21), kTown, "ends inside its header");
  refused("notabundle.rsbundle", "村,问题\n1,2\n", kTown, "not a rectsync bundle");
  std::string altered = bytes;
  altered[altered.size() - 10] ^= 0x01;  // inside the signature
  refused("altered.rsbundle", altered, kTown, "signature does not verify");
  std::string damaged = bytes;
  damaged[bytes.size() / 2] ^= 0x20;  // inside a record
  refused("damaged.rsbundle", damaged, kTown, "bundle");
  refused("foreign.rsbundle", bytes, kCounty, "is addressed to \"3201/320115/320115003\"");
  // The village's sibling cannot take it either, nor the village itself.
  refused("sibling.rsbundle", bytes, kVillage2, "addressed to");
  // Nothing of any of them is stored at the township.
  EXPECT_EQ(HeadAt(*c_.Client(kTown), kVillage1), 0u);
  // And the good one still goes in whole.
  Ran ok = MustCli(kTown, "bundle import " + good + " --answer " + files_ + "/answer.rsbundle");
  EXPECT_NE(ok.out.find("stored 1"), std::string::npos) << ok.out;
  EXPECT_EQ(HeadAt(*c_.Client(kTown), kVillage1), 1u);
}

TEST_F(BundleTest, ABundleAndOnlineSyncMixWithoutDuplicates) {
  // The village is online for a while, then its link goes down for good.
  c_.Start(kVillage1);
  {
    auto village = c_.Client(kVillage1);
    Raise(*village, "网上同步的问题");
    Raise(*village, "网上同步的问题二");
  }
  const uint64_t online = HeadAt(*c_.Client(kVillage1), kVillage1);
  ASSERT_TRUE(WaitFor([&] { return HeadAt(*c_.Client(kTown), kVillage1) == online; }));
  c_.Kill(kVillage1, SIGTERM);
  MustCli(kVillage1, "problem raise --category 其他 --title 断网后的问题 --source self-check");
  // --all carries what was pushed online too: the township keeps one copy.
  const std::string up = files_ + "/all.rsbundle";
  MustCli(kVillage1, "bundle export --all --out " + up);
  Ran took = MustCli(kTown, "bundle import " + up + " --answer " + files_ + "/all-down.rsbundle");
  EXPECT_NE(took.out.find(absl::StrCat("stored 1, already held ", online)), std::string::npos) << took.out;
  MustCli(kVillage1, "bundle import " + files_ + "/all-down.rsbundle");
  // Back online: nothing is pushed twice, and the chain stays whole.
  MustCli(kVillage1, "problem raise --category 其他 --title 恢复联网后的问题 --source self-check");
  c_.Start(kVillage1);
  // (>=: once online the village may also attest its changed summary.)
  ASSERT_TRUE(WaitFor([&] { return HeadAt(*c_.Client(kTown), kVillage1) >= online + 2; }));
  ASSERT_TRUE(CityHolds(kVillage1, online + 2));
  for (const char* u : {kVillage1, kTown, kCity}) {
    auto c = c_.Client(u);
    EXPECT_TRUE(Verify(*c).ok()) << u;
    EXPECT_EQ(Summary(*c, kVillage1).problems(), 4u) << u;
  }
}

}  // namespace
}  // namespace rectsync::testing
