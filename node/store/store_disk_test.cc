// The store on a disk that fills: a real tmpfs, filled by the store's own
// appends. Writes are refused with the reason and store nothing partial,
// reads go on, the store recovers by itself when space returns, and a
// store opened on a full disk opens read-only instead of aborting.
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "aggregator/status_macros.h"
#include "aggregator/test_records.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/record/trust.h"
#include "node/store/store.h"
#include "node/store/test_ledger.h"
#include "node/store/test_util.h"

namespace rectsync::store {
namespace {

using ::testing::HasSubstr;
using testing::Dump;
using testing::ScopedTmpfs;
using testing::SignedLedger;
using testing::StoreDump;
namespace at = ::rectsync::aggregator::testing;

const std::string kCity = "3201";
const std::string kCounty = "3201/320115";
constexpr uint64_t kBase = uint64_t{1717200000000} << 16;

class StoreDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(record::InitCrypto().ok());
    if (!disk_.error().empty()) GTEST_SKIP() << "no tmpfs to fill: " << disk_.error();
  }

  std::string db_path() const { return disk_.path() + "/db"; }

  // The county's next record after the last one stored: a problem with a
  // 4 KiB detail, so the disk fills in a few hundred records.
  StoredRecord NextRecord() {
    const uint64_t seq = head_.seq + 1;
    aggregator::DecodedRecord r =
        at::Raise(ledger_.Draft(kCounty, kBase + seq), absl::StrCat(kCounty, ":P", seq), kCounty, "2026-12-31");
    r.body.mutable_problem_raised()->set_detail(std::string(4096, 'x'));
    return ledger_.SealAs(std::move(r), seq, head_.id);
  }
  absl::Status Append(Store* store) {
    StoredRecord r = NextRecord();
    absl::Status s = store->Append({r});
    if (s.ok()) head_ = Head{r.decoded.body.seq(), r.decoded.id, r.decoded.body.hlc()};
    return s;
  }

  // Appends records until one fails, and returns that failure.
  absl::Status FillUp(Store* store) {
    for (int i = 0; i < 100000; ++i) RETURN_IF_ERROR(Append(store));
    return absl::InternalError("the disk never filled");
  }

  // A file of `bytes` that takes part of the disk.
  void Ballast(const std::string& path, size_t bytes) {
    std::ofstream out(path, std::ios::binary);
    out << std::string(bytes, 'b');
  }

  ScopedTmpfs disk_{8};
  SignedLedger ledger_;
  Head head_;  // the last record acknowledged
};

TEST_F(StoreDiskTest, AFullDiskRefusesWritesByNameKeepsReadsAndRecoversWhenSpaceReturns) {
  Ballast(disk_.path() + "/ballast", 3u << 20);
  absl::StatusOr<std::unique_ptr<Store>> opened = Store::Open(db_path());
  ASSERT_TRUE(opened.ok()) << opened.status();
  Store& store = **opened;

  absl::Status full = FillUp(&store);
  const uint64_t acknowledged = head_.seq;
  ASSERT_GT(acknowledged, 10u);
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted) << full;
  EXPECT_THAT(full.message(), HasSubstr("No space left on device"));
  EXPECT_THAT(full.message(), HasSubstr(db_path()));
  EXPECT_THAT(store.WriteFault().message(), HasSubstr("No space left on device"));

  // While the disk stays full: every write refused the same way (before,
  // the second one aborted the process inside RocksDB), nothing of it
  // stored, every read answered; a Resume tried after a second fails.
  const StoreDump before = Dump(store);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(Append(&store).code(), absl::StatusCode::kResourceExhausted);
    EXPECT_EQ(store.PutPeer("cursor", "1").code(), absl::StatusCode::kResourceExhausted);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(Append(&store).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Dump(store), before) << "a refused write stored something";
  EXPECT_EQ(store.GetHead(kCounty)->seq, acknowledged);

  // Space returns: within a second or so the next write goes through by
  // itself, and the chain continues from the last acknowledged record.
  ASSERT_EQ(::unlink((disk_.path() + "/ballast").c_str()), 0);
  absl::Status resumed = absl::UnknownError("not tried");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline && !(resumed = Append(&store)).ok()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_TRUE(resumed.ok()) << resumed;
  EXPECT_TRUE(store.WriteFault().ok());
  EXPECT_EQ(store.GetHead(kCounty)->seq, acknowledged + 1);
  for (uint64_t seq = 1; seq <= acknowledged + 1; ++seq) {
    EXPECT_TRUE(store.GetRecord(kCounty, seq)->has_value()) << "seq " << seq;
  }
}

TEST_F(StoreDiskTest, AStoreThatCannotOpenForWritingOpensReadOnlyAndSaysWhy) {
  Ballast(disk_.path() + "/ballast", 3u << 20);
  {
    absl::StatusOr<std::unique_ptr<Store>> opened = Store::Open(db_path());
    ASSERT_TRUE(opened.ok()) << opened.status();
    ASSERT_EQ(FillUp(opened->get()).code(), absl::StatusCode::kResourceExhausted);
  }
  const uint64_t acknowledged = head_.seq;
  // Whatever the close left, taken too.
  Ballast(disk_.path() + "/more", 8u << 20);

  // The daemon's way: no fallback; the open fails and says why.
  StoreOptions strict;
  strict.read_only_fallback = false;
  absl::StatusOr<std::unique_ptr<Store>> refused = Store::Open(db_path(), strict);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("No space left on device"));

  // The CLI's way: read-only, every read answered, writes refused by name.
  absl::StatusOr<std::unique_ptr<Store>> reopened = Store::Open(db_path());
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  Store& store = **reopened;
  ASSERT_TRUE(store.read_only());
  EXPECT_EQ(store.GetHead(kCounty)->seq, acknowledged);
  EXPECT_TRUE(store.GetRecord(kCounty, acknowledged)->has_value());
  absl::Status s = Append(&store);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_THAT(s.message(), HasSubstr("opened read-only"));
  EXPECT_THAT(s.message(), HasSubstr("No space left on device"));
}

}  // namespace
}  // namespace rectsync::store
