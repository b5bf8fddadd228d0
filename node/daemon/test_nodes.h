// Test helpers (header-only) for Node tests: a fake wall clock, the record
// body builders of test_bodies.h, and a fixture with a root node (InitRoot) in a scratch directory
// that can enrol a county (Enroll + InitFromBundle). Tests only.
#ifndef RECTSYNC_NODE_DAEMON_TEST_NODES_H_
#define RECTSYNC_NODE_DAEMON_TEST_NODES_H_

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/daemon/config.h"
#include "node/daemon/node.h"
#include "node/daemon/test_bodies.h"
#include "node/record/codec.h"
#include "node/store/test_util.h"
#include "rocksdb/db.h"

namespace rectsync::node::testing {

using ::testing::HasSubstr;
using store::testing::ScopedTempDir;

const std::string kCity = "3201";
const std::string kCounty = "3201/320115";
const std::string kOtherCounty = "3201/320116";
const std::string kTown = "3201/320115/320115003";

class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t now_ms) : now_ms_(now_ms) {}
  int64_t NowMillis() override { return now_ms_; }
  void Advance(int64_t ms) { now_ms_ += ms; }
  void Set(int64_t ms) { now_ms_ = ms; }

 private:
  int64_t now_ms_;
};

class NodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(record::InitCrypto().ok());
    RootInit init;
    init.unit = kCity;
    init.name = "南京市";
    init.level = v1::LEVEL_CITY;
    init.author = "admin";
    ASSERT_TRUE(Node::InitRoot(root_dir(), init).ok());
    root_ = OpenNode(root_dir(), &clock_);
    ASSERT_NE(root_, nullptr);
  }

  std::string root_dir() const { return dir_.path() + "/root"; }
  std::string county_dir() const { return dir_.path() + "/county"; }

  std::unique_ptr<Node> OpenNode(const std::string& dir, Clock* clock) {
    absl::StatusOr<NodeOptions> options = LoadConfig(dir);
    EXPECT_TRUE(options.ok()) << options.status();
    if (!options.ok()) return nullptr;
    options->sync_writes = false;  // durability is not under test here; speed is welcome
    absl::StatusOr<std::unique_ptr<Node>> node = Node::Open(*options, clock);
    EXPECT_TRUE(node.ok()) << node.status();
    return node.ok() ? std::move(*node) : nullptr;
  }

  // The root's enrolment of the county under `public_key`.
  static v1::EnrollRequest CountyEnrollRequest(const std::string& public_key, int64_t valid_until_ms = 0) {
    v1::EnrollRequest req;
    req.set_author("admin");
    req.set_unit(kCounty);
    req.set_name("江宁区");
    req.set_level(v1::LEVEL_COUNTY);
    req.set_public_key(public_key);
    req.set_valid_until_ms(valid_until_ms);
    return req;
  }

  // Enrols the county under the root and opens it on `clock`.
  void EnrolCounty(Clock* clock, int64_t valid_until_ms = 0) {
    absl::StatusOr<std::string> pk = Node::KeyGen(county_dir());
    ASSERT_TRUE(pk.ok()) << pk.status();
    absl::StatusOr<v1::EnrollmentBundle> bundle = root_->Enroll(CountyEnrollRequest(*pk, valid_until_ms));
    ASSERT_TRUE(bundle.ok()) << bundle.status();
    ASSERT_EQ(bundle->chain_size(), 2);
    absl::Status s = Node::InitFromBundle(county_dir(), *bundle);
    ASSERT_TRUE(s.ok()) << s;
    county_ = OpenNode(county_dir(), clock);
    ASSERT_NE(county_, nullptr);
  }

  uint64_t HeadSeq(const Node& node) { return node.store()->GetHead(node.unit())->seq; }

  // Appends and expects success.
  v1::AppendReply MustAppend(Node& node, v1::RecordBody body) {
    absl::StatusOr<v1::AppendReply> r = node.Append(std::move(body));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : v1::AppendReply();
  }

  // Expects `body` to be refused with `code` and a message containing
  // `part`, and nothing to be written.
  void ExpectRefused(Node& node, v1::RecordBody body, absl::StatusCode code,
                     const std::string& part) {
    const store::testing::StoreDump before = store::testing::Dump(*node.store());
    absl::StatusOr<v1::AppendReply> r = node.Append(std::move(body));
    ASSERT_FALSE(r.ok()) << "accepted as seq " << r->seq();
    EXPECT_EQ(r.status().code(), code) << r.status();
    EXPECT_THAT(r.status().message(), HasSubstr(part));
    EXPECT_TRUE(store::testing::Dump(*node.store()) == before) << "a refused write left a trace";
  }

  // Overwrites the stored envelope of (origin, seq), or deletes it.
  void Overwrite(Node& node, const std::string& origin, uint64_t seq,
                 const std::optional<std::string>& bytes) {
    rocksdb::ColumnFamilyHandle* records = node.store()->column_family("records");
    ASSERT_NE(records, nullptr);
    const std::string key = store::RecordKey(origin, seq);
    rocksdb::Status s = bytes ? node.store()->db()->Put(rocksdb::WriteOptions(), records, key, *bytes)
                              : node.store()->db()->Delete(rocksdb::WriteOptions(), records, key);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  ScopedTempDir dir_{"node_test"};
  FakeClock clock_{SystemClock::Get()->NowMillis()};
  std::unique_ptr<Node> root_;
  std::unique_ptr<Node> county_;
};

}  // namespace rectsync::node::testing

#endif  // RECTSYNC_NODE_DAEMON_TEST_NODES_H_
