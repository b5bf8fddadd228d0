// node.toml: the failover settings (config.h) are checked like every other,
// each bad value named by its key, and survive a rewrite.
#include "node/daemon/config.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace rectsync::node {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("rectsync-config-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  absl::StatusOr<NodeOptions> Load(const std::string& extra) {
    std::ofstream(dir_ / "node.toml") << "unit = '3201/320115/320115003/001'\nplaintext = true\n"
                                      << "parent = '127.0.0.1:7003'\n" << extra;
    return LoadConfig(dir_.string());
  }
  std::filesystem::path dir_;
};

TEST_F(ConfigTest, FailoverDefaultsToTheParentsParentAndSurvivesARewrite) {
  auto o = Load("failover = '127.0.0.1:7002'\nfailover_after_ms = 1500\n");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->failover, "127.0.0.1:7002");
  EXPECT_EQ(o->failover_unit, "3201/320115");
  EXPECT_EQ(o->failover_after_ms, 1500);
  ASSERT_TRUE(WriteConfig(*o).ok());
  auto again = LoadConfig(dir_.string());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->failover, o->failover);
  EXPECT_EQ(again->failover_unit, o->failover_unit);
  EXPECT_EQ(again->failover_after_ms, 1500);
  auto none = Load("");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->failover.empty());
}

TEST_F(ConfigTest, BadFailoverSettingsAreNamed) {
  auto expect = [&](const std::string& extra, const std::string& says) {
    auto o = Load(extra);
    ASSERT_FALSE(o.ok()) << extra;
    EXPECT_NE(o.status().message().find(says), std::string::npos) << o.status();
  };
  expect("failover = '127.0.0.1:7002'\nfailover_unit = '3201/320115/320115003'\n",
         "failover_unit \"3201/320115/320115003\" is not above the parent");
  expect("failover = '10.0.0.2:7002'\n", "failover \"10.0.0.2:7002\" is not a loopback address");
  expect("failover_unit = '3201'\n", "failover_unit is set but failover is not");
  expect("failover = '127.0.0.1:7002'\nfailover_after_ms = 10\n", "failover_after_ms must be an integer");
}

// A rewrite of node.toml replaces the file whole (a temporary file, fsync,
// rename), never writes into it in place, where a crash mid-write would
// leave half a configuration (issue 13). A hard link to the old file shows
// which: written in place, the link would see the new text.
TEST_F(ConfigTest, ARewriteReplacesTheFileWholeAndLeavesNoTemporary) {
  auto o = Load("");
  ASSERT_TRUE(o.ok()) << o.status();
  const std::filesystem::path file = dir_ / "node.toml";
  const std::filesystem::path link = dir_ / "node.toml.before";
  std::filesystem::create_hard_link(file, link);
  const auto before = std::filesystem::file_size(link);
  o->failover = "127.0.0.1:7002";
  o->failover_unit = "3201/320115";
  ASSERT_TRUE(WriteConfig(*o).ok());
  EXPECT_EQ(std::filesystem::file_size(link), before) << "node.toml was written in place";
  EXPECT_EQ(std::filesystem::hard_link_count(file), 1u);
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    const std::string name = entry.path().filename().string();
    EXPECT_TRUE(name == "node.toml" || name == "node.toml.before") << "left behind: " << name;
  }
  auto again = LoadConfig(dir_.string());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->failover, "127.0.0.1:7002");
}

}  // namespace
}  // namespace rectsync::node
