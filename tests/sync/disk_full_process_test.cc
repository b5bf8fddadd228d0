// A full disk under a real daemon: the township's data directory on a small
// tmpfs, filled first by a village's backlog arriving and then by its own
// officer's writes. The daemon stays up; the officer gets "No space left on
// device" naming the disk; whoami, verify and summaries still answer; the
// village is told to wait (not refused) and keeps its records; nothing
// acknowledged is lost and no partial batch is visible; once space is
// freed, the township resumes by itself and everything reaches the city.
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/sync/cluster.h"

namespace rectsync::testing {
namespace {

// The member's data directory moved onto a tmpfs of `size_mb` MiB mounted
// over it (its files copied in); unmounted on destruction.
class TmpfsOver {
 public:
  TmpfsOver(const std::string& dir, int size_mb) : dir_(dir) {
    const std::string saved = dir + ".saved";
    if (Shell(absl::StrCat("cp -a ", dir, " ", saved)).code != 0) {
      error_ = "cannot copy " + dir;
      return;
    }
    const std::string opts = absl::StrCat("size=", size_mb, "m,mode=0700");
    if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, opts.c_str()) != 0) {
      error_ = absl::StrCat("mount tmpfs: ", std::strerror(errno));
      return;
    }
    mounted_ = true;
    if (Shell(absl::StrCat("cp -a ", saved, "/. ", dir, "/")).code != 0) error_ = "cannot copy back " + dir;
  }
  ~TmpfsOver() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  const std::string& error() const { return error_; }

  uint64_t FreeBytes() const {
    struct statvfs s {};
    if (::statvfs(dir_.c_str(), &s) != 0) return 0;
    return static_cast<uint64_t>(s.f_bavail) * s.f_frsize;
  }
  // Takes all but `leave` bytes of what is free.
  void FillLeaving(uint64_t leave) {
    const uint64_t free = FreeBytes();
    std::ofstream out(dir_ + "/ballast", std::ios::binary | std::ios::app);
    const std::string mib(1 << 20, 'b');
    uint64_t left = free > leave ? free - leave : 0;
    while (left >= mib.size()) {
      out << mib;
      left -= mib.size();
    }
    out << std::string(left, 'b');
  }
  void FreeUp() { ::unlink((dir_ + "/ballast").c_str()); }

 private:
  std::string dir_;
  bool mounted_ = false;
  std::string error_;
};

std::string Detail() { return std::string(3000, 'x'); }

class DiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BuildChain(c_);
    disk_ = std::make_unique<TmpfsOver>(c_.member(kTown).dir, 24);
    if (!disk_->error().empty()) GTEST_SKIP() << "no tmpfs for the township: " << disk_->error();
    // No attestations: every record the village writes is a problem, so
    // summaries count records.
    c_.Configure(kVillage1, {{"push_interval_ms", "200"}, {"attest_interval_ms", "0"}});
    for (const char* u : {kCity, kCounty, kTown, kVillage1}) c_.Start(u);
  }
  void TearDown() override {
    for (const char* u : {kVillage1, kTown, kCounty, kCity}) {
      if (c_.Running(u)) c_.Kill(u, SIGTERM);
    }
  }
  // Raises a problem at `unit` through the CLI: the record id, or "" with
  // the message in `*error`.
  std::string RaiseAt(const std::string& unit, int n, std::string* error = nullptr) {
    Ran r = c_.Cli(unit, absl::StrCat("--json problem raise --category 基层组织 --title '问题 ", n, "' --detail ",
                                      Detail()));
    if (r.code != 0) {
      if (error) *error = r.out;
      return "";
    }
    return r.out;
  }

  Cluster c_;
  std::unique_ptr<TmpfsOver> disk_;
};

TEST_F(DiskFullTest, ATownshipWhoseDiskFillsRefusesByNameTellsItsVillageToWaitAndRecoversBySelf) {
  auto town = c_.Client(kTown);
  auto village = c_.Client(kVillage1);
  auto city = c_.Client(kCity);
  ASSERT_TRUE(WaitFor([&] { return HeadAt(*city, kTown) >= 1; }));
  const uint64_t base = HeadAt(*village, kVillage1);
  const int64_t base_problems = Summary(*village, kVillage1).problems();

  // 1. The village's backlog fills the township's disk while it is ingested.
  disk_->FillLeaving(600 << 10);
  constexpr int kRaised = 400;
  // Over the admin socket rather than one CLI process each: 400 process
  // starts are most of a minute under ASan.
  for (int i = 1; i <= kRaised; ++i) Raise(*village, absl::StrCat("问题 ", i), kVillage1, Detail());
  const uint64_t village_head = base + kRaised;
  ASSERT_EQ(HeadAt(*village, kVillage1), village_head);
  // The township stops storing part-way: the village keeps the rest
  // pending, its link says why, and nothing is counted as refused.
  ASSERT_TRUE(WaitFor(
      [&] {
        const v1::SyncStatusReply s = SyncStatus(*village);
        for (const v1::LinkStatus& l : s.links()) {
          if (absl::StrContains(l.last_error(), "No space left on device")) return true;
        }
        return false;
      },
      30000))
      << SyncStatus(*village).DebugString();
  const uint64_t town_holds = HeadAt(*town, kVillage1);
  EXPECT_LT(town_holds, village_head) << "the disk did not fill";
  const v1::SyncStatusReply village_status = SyncStatus(*village);
  for (const v1::LinkStatus& l : village_status.links()) EXPECT_EQ(l.refusals(), 0u) << l.DebugString();
  EXPECT_TRUE(c_.Running(kTown)) << "the township's daemon died on a full disk";

  // 2. The township's officer: a write refused by name, reads answered;
  // what the township holds is whole batches (its summary counts exactly
  // the problems of the records it holds).
  std::string error;
  EXPECT_EQ(RaiseAt(kTown, 1, &error), "");
  EXPECT_TRUE(absl::StrContains(error, "No space left on device")) << error;
  Ran whoami = c_.Cli(kTown, "whoami");
  EXPECT_EQ(whoami.code, 0) << whoami.out;
  Ran verify = c_.Cli(kTown, "verify");
  EXPECT_EQ(verify.code, 0) << verify.out;
  Ran status = c_.Cli(kTown, "status");
  EXPECT_TRUE(absl::StrContains(status.out, "writes refused: ")) << status.out;
  EXPECT_EQ(Summary(*town, kVillage1).problems(), base_problems + static_cast<int64_t>(town_holds - base));
  EXPECT_TRUE(c_.Running(kTown));

  // 3. Space returns: the township resumes by itself, takes the rest, and
  // everything reaches the city, verified.
  disk_->FreeUp();
  ASSERT_TRUE(WaitFor([&] { return HeadAt(*town, kVillage1) == village_head; }, 60000))
      << "the township holds " << HeadAt(*town, kVillage1) << " of " << village_head;
  EXPECT_NE(RaiseAt(kTown, 2), "");
  ASSERT_TRUE(WaitFor([&] { return HeadAt(*city, kVillage1) == village_head; }, 60000));
  EXPECT_TRUE(Verify(*town).ok());
  EXPECT_TRUE(Verify(*city).ok());
  EXPECT_EQ(Summary(*city, kVillage1).problems(), base_problems + kRaised);
  EXPECT_TRUE(c_.Running(kTown));
}

}  // namespace
}  // namespace rectsync::testing
