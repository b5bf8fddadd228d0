// Officers writing on a node whose daemon is down: each `rectsync` command
// opens the store in-process, and a second command (or a daemon starting)
// that finds it held waits for it, bounded, instead of failing with "store is
// in use". Real CLI processes on a real RocksDB store.
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/sync/cluster.h"

namespace rectsync::testing {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

template <typename T>
T Must(absl::StatusOr<T> v, const char* what) {
  EXPECT_TRUE(v.ok()) << what << ": " << v.status();
  return v.ok() ? *std::move(v) : T();
}

// Runs a shell command; its exit code.
int Shell(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

class OfflineWritersTest : public ::testing::Test {
 protected:
  void SetUp() override { c_.AddRoot(kCity, "南京市"); }
  std::string Cli() const { return absl::StrCat(RECTSYNC_CLI_PATH, " --node ", dir()); }
  const std::string& dir() { return c_.member(kCity).dir; }
  const std::string& dir() const { return const_cast<Cluster&>(c_).member(kCity).dir; }
  Cluster c_;
};

TEST_F(OfflineWritersTest, TwoOfficersWritingAtOnceAreNeitherRefused) {
  constexpr int kEach = 40;
  const std::string out = c_.root_dir() + "/writers";
  // Two officers, each raising kEach problems as fast as the CLI goes; a
  // failed command appends its message to fail.W.
  const std::string cmd = absl::StrCat(
      "mkdir -p ", out, " && for w in 1 2; do (for i in $(seq 1 ", kEach, "); do ", Cli(),
      " --author officer$w problem raise --category 其他 --title \"w$w-$i\" >/dev/null 2>", out,
      "/err.$w.$i || cat ", out, "/err.$w.$i >> ", out, "/fail.$w; done) & done; wait");
  ASSERT_EQ(Shell(cmd), 0);
  EXPECT_EQ(Slurp(out + "/fail.1") + Slurp(out + "/fail.2"), "") << "a write was refused";
  std::unique_ptr<cli::NodeClient> client = c_.Client(kCity);
  v1::ListProblemsRequest req;
  req.set_page_size(1000);
  v1::ListProblemsReply list = Must(cli::Call(&v1::Admin::Stub::ListProblems, client->admin(), req), "ls");
  EXPECT_EQ(list.problems_size(), 2 * kEach);
  EXPECT_TRUE(Verify(*client).ok());
}

TEST_F(OfflineWritersTest, AWaitThatRunsOutSaysWhatHeldTheStoreAndWritesNothing) {
  std::unique_ptr<node::Node> holder = c_.OpenNode(kCity);  // holds the store, like a long command
  const uint64_t head = Must(holder->Identity(), "identity").head_seq();
  const std::string err = c_.root_dir() + "/busy.err";
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Shell(absl::StrCat(Cli(), " --wait 1 problem raise --category 其他 --title 等不到 2>", err)), 1);
  const double waited_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::string message = Slurp(err);
  EXPECT_NE(message.find("its store stayed in use by another process for 1s"), std::string::npos) << message;
  EXPECT_NE(message.find("nothing was done"), std::string::npos) << message;
  EXPECT_NE(message.find("--wait"), std::string::npos) << message;
  EXPECT_GE(waited_s, 0.9);
  EXPECT_LT(waited_s, 15);
  EXPECT_EQ(Must(holder->Identity(), "identity").head_seq(), head);
}

TEST_F(OfflineWritersTest, ACommandWaitsForTheHolderAndThenWrites) {
  std::unique_ptr<node::Node> holder = c_.OpenNode(kCity);
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    holder.reset();
  });
  const std::string err = c_.root_dir() + "/wait.err";
  const int rc = Shell(absl::StrCat(Cli(), " --wait 30 problem raise --category 其他 --title 等到了 >/dev/null 2>", err));
  release.join();
  EXPECT_EQ(rc, 0) << Slurp(err);
  EXPECT_NE(Slurp(err).find("waiting for it"), std::string::npos);
  std::unique_ptr<cli::NodeClient> client = c_.Client(kCity);
  v1::ListProblemsReply list =
      Must(cli::Call(&v1::Admin::Stub::ListProblems, client->admin(), v1::ListProblemsRequest()), "ls");
  ASSERT_EQ(list.problems_size(), 1);
  EXPECT_EQ(list.problems(0).state().title(), "等到了");
}

TEST_F(OfflineWritersTest, ADaemonStartingWhileACommandHoldsTheStoreWaitsForIt) {
  std::unique_ptr<node::Node> holder = c_.OpenNode(kCity);
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    holder.reset();
  });
  c_.Start(kCity);  // waits for "ready"; rectsyncd would have exited at once before
  release.join();
  EXPECT_TRUE(c_.Running(kCity));
}

}  // namespace
}  // namespace rectsync::testing
