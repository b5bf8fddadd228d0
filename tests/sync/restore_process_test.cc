// Restore from the parent (DESIGN §6): a township whose disk is lost is
// rebuilt from the county's copy with `rectsync restore`, keeps its key,
// and continues its own chain without a fork.
#include <signal.h>
#include <stdlib.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/sync/cluster.h"

namespace rectsync::testing {
namespace {

constexpr const char* kVillage = kVillage1;

TEST(RestoreProcessTest, ATownshipWithALostDiskContinuesItsChainFromTheCountysCopy) {
  Cluster c;
  c.AddRoot(kCity, "南京市");
  c.Add(kCounty, "江宁区", v1::LEVEL_COUNTY, kCity, true);
  c.Add(kTown, "秣陵街道", v1::LEVEL_TOWNSHIP, kCounty, true);
  c.Add(kVillage, "下沃社区", v1::LEVEL_VILLAGE, kTown, false);
  // No automatic attestations: the township's head is then only what the
  // test writes.
  c.Configure(kTown, {{"attest_interval_ms", "0"}});
  for (const char* u : {kCity, kCounty, kTown, kVillage}) c.Start(u);
  uint64_t town_head = 0;
  {
    auto town = c.Client(kTown);
    auto village = c.Client(kVillage);
    for (int i = 0; i < 3; ++i) Raise(*town, absl::StrCat("街道问题 ", i), kTown);
    Raise(*town, "村级财务不规范", kVillage);
    for (int i = 0; i < 4; ++i) Raise(*village, absl::StrCat("村问题 ", i));
    auto me = cli::Call(&v1::Admin::Stub::Identity, town->admin(), v1::IdentityRequest());
    ASSERT_TRUE(me.ok());
    town_head = me->head_seq();
  }
  ASSERT_TRUE(WaitFor([&] { return Summary(*c.Client(kCity)).problems() == 8; }));
  ASSERT_TRUE(WaitFor([&] {
    auto st = SyncStatus(*c.Client(kTown));
    for (const auto& l : st.links()) {
      if (l.direction() == "parent") return l.pending() == 0;
    }
    return false;
  }));

  // The disk is lost; the key file was kept.
  c.Kill(kTown, SIGKILL);
  const std::string dir = c.member(kTown).dir;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename() != "node.key") std::filesystem::remove_all(entry.path());
  }
  const std::string cmd = absl::StrCat(
      RECTSYNC_CLI_PATH, " --node ", dir, " restore --enrollment ", c.EnrollmentFile(kTown),
      " --parent 127.0.0.1:", c.member(kCounty).port, " --listen 127.0.0.1:", c.member(kTown).port,
      " --plaintext > ", dir, "/../restore.out 2>&1");
  ASSERT_EQ(::system(cmd.c_str()), 0) << cmd;
  c.Configure(kTown, {{"attest_interval_ms", "0"}});
  c.Start(kTown);
  auto town = c.Client(kTown);
  {
    auto me = cli::Call(&v1::Admin::Stub::Identity, town->admin(), v1::IdentityRequest());
    ASSERT_TRUE(me.ok());
    EXPECT_EQ(me->head_seq(), town_head) << "the restored log does not end where it did";
  }
  EXPECT_EQ(Summary(*town).problems(), 8);
  // It writes on from its old head; the county sees a chain, not a fork.
  Raise(*town, "恢复后的新问题", kTown);
  ASSERT_TRUE(WaitFor([&] { return Summary(*c.Client(kCity)).problems() == 9; }));
  {
    auto me = cli::Call(&v1::Admin::Stub::Identity, town->admin(), v1::IdentityRequest());
    ASSERT_TRUE(me.ok());
    EXPECT_EQ(me->head_seq(), town_head + 1);
  }
  for (const char* u : {kCity, kCounty, kTown}) {
    auto client = c.Client(u);
    EXPECT_EQ(SyncStatus(*client).forks_size(), 0) << u;
    v1::VerifyReply v = Verify(*client);
    EXPECT_TRUE(v.ok()) << u << ": " << v.first_bad_origin() << "#" << v.first_bad_seq() << " "
                        << v.reason();
  }
  // The village goes on syncing through the restored township.
  {
    auto village = c.Client(kVillage);
    Raise(*village, "恢复后村里的新问题");
  }
  EXPECT_TRUE(WaitFor([&] { return Summary(*c.Client(kCity)).problems() == 10; }));
}

}  // namespace
}  // namespace rectsync::testing
