// A hostile or broken child against a real parent (issue 14, resource
// limits; node/sync/call_limits.h): thousands of push streams that never
// send their first message, more long polls than one unit may hold, a
// 100 MB message and garbage bytes on the sync port. The parent must stay
// up, the honest child's records must still reach it, and each abuse is
// answered by name or cancelled.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "node/sync/call_limits.h"
#include "rectsync/v1/sync.grpc.pb.h"
#include "tests/chaos/chaos.h"

namespace rectsync::testing {
namespace {

constexpr char kHostile[] = "3201/320116";

// A line of /proc/PID/status ("Threads", "VmRSS"), as a number.
long ProcStatus(pid_t pid, const std::string& field) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":", 0) == 0) return std::atol(line.c_str() + field.size() + 1);
  }
  return -1;
}

// A channel with a connection of its own (not shared with other channels).
std::shared_ptr<grpc::Channel> OwnChannel(int port) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetMaxSendMessageSize(-1);
  return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials(), args);
}

class HostileChildTest : public ::testing::Test {
 protected:
  void SetUp() override {
    c_.AddRoot(kCity, "南京市");
    c_.Add(kCounty, "江宁区", v1::LEVEL_COUNTY, kCity, true);
    c_.Add(kHostile, "某区", v1::LEVEL_COUNTY, kCity, false);  // its key signs the hostile hellos
    c_.Start(kCity);
    c_.Start(kCounty);
    port_ = c_.member(kCity).port;
    city_pid_ = c_.member(kCity).pid;
  }

  // Raises a problem at the honest county; seconds until the city holds it.
  double HonestRecordArrives() {
    auto county = c_.Client(kCounty);
    const uint64_t seq = Raise(*county, "洪流中的问题").seq();
    const auto t = SteadyClock::now();
    auto city = c_.Client(kCity);
    EXPECT_TRUE(WaitFor([&] { return HeadAt(*city, kCounty) >= seq; }, 60000))
        << "the honest county's record did not reach the city";
    return SecondsSince(t);
  }

  bool CityUp() const { return ::kill(city_pid_, 0) == 0; }

  Cluster c_;
  int port_ = 0;
  pid_t city_pid_ = 0;
};

TEST_F(HostileChildTest, StreamsThatSendNothingAreCancelledAndTheHonestChildGetsThrough) {
  constexpr int kChannels = 125, kPerChannel = 16;  // 2,000 streams, 16 per connection
  struct Stream {
    std::unique_ptr<grpc::ClientContext> ctx;
    std::unique_ptr<grpc::ClientReaderWriter<v1::PushBatch, v1::PushReply>> rw;
  };
  std::vector<std::unique_ptr<v1::Sync::Stub>> stubs;
  std::vector<Stream> streams;
  const long threads_before = ProcStatus(city_pid_, "Threads");
  for (int i = 0; i < kChannels; ++i) {
    stubs.push_back(v1::Sync::NewStub(OwnChannel(port_)));
    for (int j = 0; j < kPerChannel; ++j) {
      Stream s;
      s.ctx = std::make_unique<grpc::ClientContext>();
      s.ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(90));
      s.rw = stubs.back()->Push(s.ctx.get());
      streams.push_back(std::move(s));
    }
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const long threads_flooded = ProcStatus(city_pid_, "Threads");
  const double honest_s = HonestRecordArrives();
  // Each stream ends when the parent cancels it for idling (before:
  // never, each held a thread of the parent until the child went away).
  int cancelled = 0, other = 0;
  std::string other_status;
  const auto t = SteadyClock::now();
  for (Stream& s : streams) {
    v1::PushReply reply;
    while (s.rw->Read(&reply)) {
    }
    grpc::Status st = s.rw->Finish();
    if (st.error_code() == grpc::StatusCode::CANCELLED) {
      ++cancelled;
    } else {
      ++other;
      other_status = absl::StrCat(st.error_code(), " ", st.error_message());
    }
  }
  const double ended_s = SecondsSince(t);
  EXPECT_EQ(cancelled, kChannels * kPerChannel) << other << " ended otherwise, e.g. " << other_status;
  EXPECT_TRUE(CityUp());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const long threads_after = ProcStatus(city_pid_, "Threads");
  EXPECT_LT(threads_after, threads_before + 50) << "threads held after the flood ended";
  std::cout << "hostile streams: " << streams.size() << " push streams that send nothing over " << kChannels
            << " connections; the city's threads " << threads_before << " → " << threads_flooded << " → "
            << threads_after << ", RSS " << ProcStatus(city_pid_, "VmRSS") / 1024
            << " MiB; the honest county's record arrived " << honest_s << " s into the flood; every stream "
            << "cancelled by the city (" << cancelled << "), the last " << ended_s << " s after the record\n";
}

TEST_F(HostileChildTest, AUnitHoldsAtMostItsShareOfLongPolls) {
  std::unique_ptr<node::Node> hostile = c_.OpenNode(kHostile);
  auto stub = v1::Sync::NewStub(OwnChannel(port_));
  // A cursor at what the city holds for it, so that every poll waits.
  std::vector<v1::FrontierEntry> cursor;
  {
    v1::PullRequest first;
    *first.mutable_hello() = ChallengedHello(stub.get(), *hostile, kCity);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    auto reader = stub->Pull(&ctx, first);
    for (v1::PullBatch b; reader->Read(&b);) {
      if (b.origin().empty()) continue;
      v1::FrontierEntry e;
      e.set_origin(b.origin());
      e.set_seq(b.scanned_to());
      cursor.push_back(e);
    }
    ASSERT_TRUE(reader->Finish().ok());
    ASSERT_FALSE(cursor.empty());
  }
  constexpr int kPolls = sync::kMaxCallsPerUnit + 4;
  std::vector<grpc::Status> statuses(kPolls);
  std::vector<std::thread> polls;
  for (int i = 0; i < kPolls; ++i) {
    v1::PullRequest req;
    *req.mutable_hello() = ChallengedHello(stub.get(), *hostile, kCity);
    req.set_wait_ms(1000000000);  // far past the parent's cap
    for (const v1::FrontierEntry& e : cursor) *req.add_cursor() = e;
    polls.emplace_back([&, i, req] {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
      auto reader = stub->Pull(&ctx, req);
      v1::PullBatch b;
      while (reader->Read(&b)) {
      }
      statuses[i] = reader->Finish();
    });
  }
  for (std::thread& t : polls) t.join();
  int refused = 0;
  for (const grpc::Status& s : statuses) {
    if (s.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) continue;
    ++refused;
    EXPECT_NE(s.error_message().find(absl::StrCat("unit \"", kHostile, "\" already has")), std::string::npos)
        << s.error_message();
  }
  EXPECT_EQ(refused, kPolls - sync::kMaxCallsPerUnit);
  EXPECT_TRUE(CityUp());
  EXPECT_LT(HonestRecordArrives(), 60);
}

TEST_F(HostileChildTest, AHundredMegabyteMessageAndGarbageBytesAreTurnedAway) {
  auto stub = v1::Sync::NewStub(OwnChannel(port_));
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    auto rw = stub->Push(&ctx);
    v1::PushBatch huge;
    huge.add_records()->set_signature(std::string(100 << 20, 'x'));
    rw->Write(huge);
    rw->WritesDone();
    v1::PushReply reply;
    while (rw->Read(&reply)) {
    }
    grpc::Status s = rw->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  }
  // Garbage on the port: not HTTP/2, the connection is dropped.
  std::mt19937 rng(20261207);
  std::string garbage(1 << 20, '\0');
  for (char& ch : garbage) ch = static_cast<char>(rng());
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port_));
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  size_t sent = 0;
  while (sent < garbage.size()) {
    const ssize_t n = ::send(fd, garbage.data() + sent, garbage.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the parent closed the connection
    sent += static_cast<size_t>(n);
  }
  ::close(fd);
  EXPECT_TRUE(CityUp());
  const double honest_s = HonestRecordArrives();
  std::cout << "a 100 MB push message refused (RESOURCE_EXHAUSTED); " << sent
            << " bytes of garbage sent before the city closed the connection; the honest county's next "
            << "record arrived in " << honest_s << " s\n";
}

}  // namespace
}  // namespace rectsync::testing
