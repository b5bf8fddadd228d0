// Key rotation and revocation (密钥) on real daemons, every step through the
// `rectsync` CLI as an officer would type it (node/cli/cmd_key.cc,
// node/daemon/node_keys.cc).
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "node/cli/render_sync.h"
#include "node/record/keys.h"
#include "tests/sync/cluster.h"

namespace rectsync::testing {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string SigningKey(cli::NodeClient& c) {
  auto me = cli::Call(&v1::Admin::Stub::Identity, c.admin(), v1::IdentityRequest());
  EXPECT_TRUE(me.ok()) << me.status();
  return me.ok() ? me->public_key() : "";
}

std::vector<v1::KeyInfo> KeysOf(cli::NodeClient& c, const std::string& unit) {
  v1::KeysRequest req;
  req.set_unit(unit);
  auto got = cli::Call(&v1::Admin::Stub::Keys, c.admin(), req);
  if (!got.ok()) return {};
  return {got->keys().begin(), got->keys().end()};
}

bool Revoked(cli::NodeClient& c, const std::string& unit) {
  std::vector<v1::KeyInfo> keys = KeysOf(c, unit);
  return !keys.empty() && keys.front().revoked_from_ms() > 0;
}

class KeyTest : public ::testing::Test {
 protected:
  void SetUp() override { BuildChain(c_); }
  Ran MustCli(const std::string& unit, const std::string& args) {
    Ran r = c_.Cli(unit, args);
    EXPECT_EQ(r.code, 0) << "rectsync " << args << " on " << unit << ":\n" << r.out;
    return r;
  }
  // `rectsync key next` on the unit's node: its next public key (hex).
  std::string NextKey(const std::string& unit) {
    Ran r = MustCli(unit, "key next");
    return std::string(r.out.substr(0, r.out.find('\n')));
  }
  void ExpectClean(const std::string& unit, size_t revoked) {
    v1::VerifyReply v = Verify(*c_.Client(unit));
    EXPECT_TRUE(v.ok()) << unit << ": " << v.DebugString();
    EXPECT_EQ(static_cast<size_t>(v.revoked_size()), revoked) << unit << ": " << v.DebugString();
  }
  Cluster c_;
};

// A village and its township each change key mid-stream: records before and
// after verify at every level, the township's receipts under its new key are
// taken by its villages, and the old keys stay accepted until their stated
// time.
TEST_F(KeyTest, AKeyRotatedMidStreamVerifiesAtEveryLevel) {
  for (const char* u : {kCity, kCounty, kTown, kVillage1}) c_.Start(u);
  Raise(*c_.Client(kVillage1), "村务公开不及时");
  Raise(*c_.Client(kVillage1), "集体资产台账不全");
  const std::string old_village_key = SigningKey(*c_.Client(kVillage1));

  // The village's new machine: its key, enrolled by the township.
  const std::string village_key = NextKey(kVillage1);
  ASSERT_EQ(village_key.size(), 64u) << village_key;
  Ran rotated = MustCli(kTown, absl::StrCat("key rotate --unit ", kVillage1, " --public-key ", village_key,
                                            " --reason 更换电脑 --out ", c_.root_dir(), "/v1-new.enrollment"));
  EXPECT_NE(rotated.out.find("key rotated"), std::string::npos) << rotated.out;
  ASSERT_TRUE(WaitFor([&] { return record::ToHex(SigningKey(*c_.Client(kVillage1))) == village_key; }, 30000))
      << "the village did not switch to its new key";

  // The township's key too, enrolled by the county: its receipts to the
  // villages are then signed with a key the villages learn by pull.
  const std::string town_key = NextKey(kTown);
  MustCli(kCounty, absl::StrCat("key rotate --unit ", kTown, " --public-key ", town_key));
  ASSERT_TRUE(WaitFor([&] { return record::ToHex(SigningKey(*c_.Client(kTown))) == town_key; }, 30000))
      << "the township did not switch to its new key";

  Raise(*c_.Client(kVillage1), "议事规则未落实");
  Raise(*c_.Client(kTown), "乡镇自查问题");
  const uint64_t village_head = HeadAt(*c_.Client(kVillage1), kVillage1);
  const uint64_t town_head = HeadAt(*c_.Client(kTown), kTown);
  ASSERT_TRUE(WaitFor([&] {
    auto city = c_.Client(kCity);
    return HeadAt(*city, kVillage1) == village_head && HeadAt(*city, kTown) == town_head;
  }, 30000)) << "the city did not get the records signed with the new keys";
  // Receipts under the township's new key were taken: nothing pending.
  ASSERT_TRUE(WaitFor([&] {
    v1::SyncStatusReply st = SyncStatus(*c_.Client(kVillage1));
    return !st.links().empty() && st.links(0).pending() == 0;
  }, 30000)) << SyncStatus(*c_.Client(kVillage1)).DebugString();

  for (const char* u : {kVillage1, kTown, kCounty, kCity}) ExpectClean(u, 0);
  EXPECT_EQ(Summary(*c_.Client(kCity), kVillage1).problems(), 3u);

  // The history, as every level holds it: the old key accepted until about
  // a day from now (revoked from then, by the township), the new one valid.
  for (const char* u : {kTown, kCounty, kCity}) {
    std::vector<v1::KeyInfo> keys = KeysOf(*c_.Client(u), kVillage1);
    ASSERT_EQ(keys.size(), 2u) << u;
    EXPECT_EQ(keys[0].public_key(), old_village_key) << u;
    EXPECT_GT(keys[0].revoked_from_ms(), NowMs() + 23 * 3600 * 1000LL) << u;
    EXPECT_EQ(keys[0].revoked_by(), kTown) << u;
    EXPECT_EQ(record::ToHex(keys[1].public_key()), village_key) << u;
    EXPECT_EQ(keys[1].revoked_from_ms(), 0) << u;
  }
  Ran history = MustCli(kCity, absl::StrCat("key history --unit ", kVillage1));
  EXPECT_NE(history.out.find("rotated (密钥轮换): 更换电脑"), std::string::npos) << history.out;
  Ran status = MustCli(kVillage1, "status");
  EXPECT_NE(status.out.find("this node signs with it"), std::string::npos) << status.out;

  // A restart keeps the new key (node.key was replaced, the old one kept).
  c_.Kill(kVillage1, SIGTERM);
  c_.Start(kVillage1);
  EXPECT_EQ(record::ToHex(SigningKey(*c_.Client(kVillage1))), village_key);
  Raise(*c_.Client(kVillage1), "重启后的记录");
  const uint64_t after_restart = HeadAt(*c_.Client(kVillage1), kVillage1);
  EXPECT_TRUE(WaitFor([&] { return HeadAt(*c_.Client(kCity), kVillage1) == after_restart; }, 30000));
  ExpectClean(kCity, 0);
}

// A stolen laptop. The thief's records reach the township before anyone
// knows; the city revokes the village's key from the time of the theft.
// The county, which has the revocation, refuses what the township relays;
// the township keeps what it took and shows it; the township refuses the
// stolen laptop itself from then on; the records from before the theft stay
// valid everywhere.
TEST_F(KeyTest, ARevokedKeysLaterRecordsAreRefusedAtEveryLevelAndEarlierOnesStay) {
  // The village writes only what the test writes (no summary attestations),
  // so that each record's side of the theft is known.
  c_.Configure(kVillage1, {{"attest_interval_ms", "0"}});
  for (const char* u : {kCity, kCounty, kTown, kVillage1}) c_.Start(u);
  Raise(*c_.Client(kVillage1), "村务公开不及时");
  Raise(*c_.Client(kVillage1), "集体资产台账不全");
  const uint64_t before = HeadAt(*c_.Client(kVillage1), kVillage1);
  ASSERT_TRUE(WaitFor([&] { return HeadAt(*c_.Client(kCity), kVillage1) == before; }, 30000));

  // The theft, a moment after the last honest record.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  const int64_t stolen_ms = NowMs() / 1000 * 1000;
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  c_.Kill(kVillage1, SIGTERM);
  MustCli(kVillage1, "problem raise --category 其他 --title 伪造记录一 --source self-check");
  // The county is down, so what the township takes goes no further yet.
  c_.Kill(kCounty, SIGTERM);
  c_.Start(kVillage1);
  ASSERT_TRUE(WaitFor([&] { return HeadAt(*c_.Client(kTown), kVillage1) > before; }, 30000));
  c_.Kill(kVillage1, SIGTERM);
  // The forged record, and any the node wrote of its own once online.
  const uint64_t taken = HeadAt(*c_.Client(kTown), kVillage1);
  MustCli(kVillage1, "problem raise --category 其他 --title 伪造记录二 --source self-check");

  // The city revokes; the revocation reaches the county (the township is down).
  c_.Kill(kTown, SIGTERM);
  c_.Start(kCounty);
  Ran revoked = MustCli(kCity, absl::StrCat("key revoke --unit ", kVillage1, " --from '", cli::MillisTime(stolen_ms),
                                            "' --reason 笔记本电脑被盗"));
  EXPECT_NE(revoked.out.find("revoked 1 key"), std::string::npos) << revoked.out;
  ASSERT_TRUE(WaitFor([&] { return Revoked(*c_.Client(kCounty), kVillage1); }, 30000));

  // The township comes back: the county refuses the thief's record it
  // relays, and the revocation reaches the township.
  c_.Start(kTown);
  ASSERT_TRUE(WaitFor([&] { return Revoked(*c_.Client(kTown), kVillage1); }, 30000));
  ASSERT_TRUE(WaitFor([&] {
    const v1::SyncStatusReply st = SyncStatus(*c_.Client(kTown));
    for (const v1::LinkStatus& l : st.links()) {
      if (l.direction() == "parent" && l.last_refusal().find("revoked") != std::string::npos) return true;
    }
    return false;
  }, 30000)) << SyncStatus(*c_.Client(kTown)).DebugString();

  // The stolen laptop comes online: the township refuses it at the
  // handshake (its key is revoked), so its later record goes nowhere, and
  // the village's status says why.
  c_.Start(kVillage1);
  ASSERT_TRUE(WaitFor([&] {
    const v1::SyncStatusReply st = SyncStatus(*c_.Client(kVillage1));
    for (const v1::LinkStatus& l : st.links()) {
      if (l.last_error().find("revoked") != std::string::npos) return true;
    }
    return false;
  }, 30000)) << SyncStatus(*c_.Client(kVillage1)).DebugString();

  // What each level holds: the honest records everywhere, the first
  // forged one only where it was taken before the revocation (and shown
  // there), the second nowhere above the village.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // a few more sync rounds
  EXPECT_EQ(HeadAt(*c_.Client(kTown), kVillage1), taken);
  EXPECT_EQ(HeadAt(*c_.Client(kCounty), kVillage1), before);
  EXPECT_EQ(HeadAt(*c_.Client(kCity), kVillage1), before);
  ASSERT_GT(HeadAt(*c_.Client(kVillage1), kVillage1), taken);
  ExpectClean(kTown, taken - before);
  ExpectClean(kCounty, 0);
  ExpectClean(kCity, 0);
  v1::VerifyReply town = Verify(*c_.Client(kTown));
  ASSERT_GE(town.revoked_size(), 1);
  EXPECT_EQ(town.revoked(0).origin(), kVillage1);
  EXPECT_EQ(town.revoked(0).seq(), before + 1);
  EXPECT_NE(town.revoked(0).reason().find("笔记本电脑被盗"), std::string::npos) << town.revoked(0).reason();
  Ran shown = MustCli(kTown, "verify");
  EXPECT_NE(shown.out.find(absl::StrCat(kVillage1, "#", before + 1)), std::string::npos) << shown.out;
  EXPECT_EQ(Summary(*c_.Client(kCity), kVillage1).problems(), 2u);

  // The history names the revocation at every level.
  for (const char* u : {kTown, kCounty, kCity}) {
    std::vector<v1::KeyInfo> keys = KeysOf(*c_.Client(u), kVillage1);
    ASSERT_EQ(keys.size(), 1u) << u;
    EXPECT_EQ(keys[0].revoked_from_ms(), stolen_ms) << u;
    EXPECT_EQ(keys[0].revoked_by(), kCity) << u;
    EXPECT_EQ(keys[0].revoke_reason(), "笔记本电脑被盗") << u;
  }
}

}  // namespace
}  // namespace rectsync::testing
