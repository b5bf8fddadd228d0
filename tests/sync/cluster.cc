#include "tests/sync/cluster.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "node/daemon/config.h"
#include "node/sync/hello.h"

namespace rectsync::testing {
int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

namespace {

template <typename T>
T Must(absl::StatusOr<T> v, const char* what) {
  EXPECT_TRUE(v.ok()) << what << ": " << v.status();
  if (!v.ok()) throw std::runtime_error(std::string(what));
  return *std::move(v);
}

}  // namespace

Cluster::Cluster() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "rectsync-sync-XXXXXX").string();
  root_ = ::mkdtemp(tmpl.data());
}

Cluster::~Cluster() {
  for (auto& [unit, m] : members_) {
    if (m.pid > 0) {
      ::kill(m.pid, SIGKILL);
      ::waitpid(m.pid, nullptr, 0);
    }
  }
  std::error_code ec;
  if (!::getenv("RECTSYNC_KEEP_TEST_DIRS")) std::filesystem::remove_all(root_, ec);
}

void Cluster::AddRoot(const std::string& unit, const std::string& name) {
  Member m;
  m.unit = unit;
  m.dir = absl::StrCat(root_, "/n", members_.size());
  m.port = FreePort();
  node::RootInit init;
  init.unit = unit;
  init.name = name;
  init.author = "test";
  ASSERT_TRUE(node::Node::InitRoot(m.dir, init).ok());
  members_[unit] = m;
  Configure(unit, {});
}

void Cluster::Add(const std::string& unit, const std::string& name, v1::Level level,
                  const std::string& parent, bool listen, int64_t valid_until_ms) {
  Member m;
  m.unit = unit;
  m.dir = absl::StrCat(root_, "/n", members_.size());
  m.port = listen ? FreePort() : 0;
  m.parent = parent;
  std::string pk = Must(node::Node::KeyGen(m.dir), "keygen");
  v1::EnrollRequest req;
  req.set_author("test");
  req.set_unit(unit);
  req.set_name(name);
  req.set_level(level);
  req.set_public_key(pk);
  req.set_valid_until_ms(valid_until_ms);
  v1::EnrollmentBundle bundle;
  {
    auto c = Client(parent);
    grpc::ClientContext ctx;
    grpc::Status s = c->admin()->Enroll(&ctx, req, &bundle);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  ASSERT_TRUE(node::Node::InitFromBundle(m.dir, bundle).ok());
  std::ofstream(m.dir + ".enrollment", std::ios::binary) << bundle.SerializeAsString();
  members_[unit] = m;
  Configure(unit, {});
}

void Cluster::Configure(const std::string& unit, const std::map<std::string, std::string>& extra) {
  Member& m = members_.at(unit);
  std::map<std::string, std::string> kv = {
      {"unit", absl::StrCat("'", unit, "'")},
      {"plaintext", "true"},
      {"backoff_min_ms", "50"},
      {"backoff_max_ms", "500"},
      {"pull_wait_ms", "2000"},
  };
  if (m.port) kv["listen"] = absl::StrCat("'127.0.0.1:", m.port, "'");
  if (!m.parent.empty()) kv["parent"] = absl::StrCat("'127.0.0.1:", members_.at(m.parent).port, "'");
  // Keep earlier extra settings.
  if (auto old = node::LoadConfig(m.dir); old.ok()) {
    if (!old->sync_writes) kv["sync_writes"] = "false";
    if (old->batch_records != 500) kv["batch_records"] = absl::StrCat(old->batch_records);
  }
  for (const auto& [k, v] : extra) kv[k] = v;
  std::ofstream out(m.dir + "/node.toml");
  for (const auto& [k, v] : kv) out << k << " = " << v << "\n";
}

void Cluster::Start(const std::string& unit) {
  Member& m = members_.at(unit);
  ASSERT_EQ(m.pid, 0) << unit << " is already running";
  const std::string log = m.dir + "/daemon.log";
  std::filesystem::remove(log);
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execl(RECTSYNCD_PATH, "rectsyncd", "--config", (m.dir + "/node.toml").c_str(), nullptr);
    ::_exit(127);
  }
  m.pid = pid;
  bool ready = WaitFor([&] {
    std::ifstream in(log);
    std::stringstream s;
    s << in.rdbuf();
    return s.str().find("ready\n") != std::string::npos;
  }, 10000);
  ASSERT_TRUE(ready) << unit << " did not start; see " << log;
}

void Cluster::Kill(const std::string& unit, int signal) {
  Member& m = members_.at(unit);
  if (m.pid <= 0) return;
  ::kill(m.pid, signal);
  ::waitpid(m.pid, nullptr, 0);
  m.pid = 0;
  std::filesystem::remove(m.dir + "/admin.sock");
}

bool Cluster::Running(const std::string& unit) const { return members_.at(unit).pid > 0; }

std::unique_ptr<cli::NodeClient> Cluster::Client(const std::string& unit) {
  return Must(cli::NodeClient::Connect(members_.at(unit).dir), "connect");
}

std::unique_ptr<node::Node> Cluster::OpenNode(const std::string& unit) {
  node::NodeOptions o = Must(node::LoadConfig(members_.at(unit).dir), "load config");
  return Must(node::Node::Open(o), "open node");
}

void BuildChain(Cluster& c, bool villages_listen) {
  c.AddRoot(kCity, "南京市");
  c.Add(kCounty, "江宁区", v1::LEVEL_COUNTY, kCity, true);
  c.Add(kTown, "秣陵街道", v1::LEVEL_TOWNSHIP, kCounty, true);
  c.Add(kVillage1, "下沃社区", v1::LEVEL_VILLAGE, kTown, villages_listen);
  c.Add(kVillage2, "东山村", v1::LEVEL_VILLAGE, kTown, villages_listen);
}

v1::Hello ChallengedHello(v1::Sync::Stub* stub, const node::Node& node, const std::string& parent) {
  absl::StatusOr<v1::Hello> h = sync::SignedHello(stub, node, parent, 10000);
  EXPECT_TRUE(h.ok()) << h.status();
  return h.ok() ? *std::move(h) : v1::Hello();
}

v1::PushReply PushOneBatch(v1::Sync::Stub* stub, const v1::Hello& hello,
                           const std::vector<v1::Record>& records) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto stream = stub->Push(&ctx);
  v1::PushBatch batch;
  *batch.mutable_hello() = hello;
  for (const auto& r : records) *batch.add_records() = r;
  v1::PushReply reply;
  const bool answered = stream->Write(batch) && stream->Read(&reply);
  stream->WritesDone();
  grpc::Status s = stream->Finish();
  if (!answered) {
    reply.set_code(s.error_code());
    reply.set_error(s.error_message());
  } else {
    EXPECT_TRUE(s.ok()) << s.error_message();
  }
  return reply;
}

Ran Shell(const std::string& cmd) {
  Ran r;
  FILE* p = ::popen(absl::StrCat(cmd, " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof(buf), p)) > 0;) r.out.append(buf, n);
  const int rc = ::pclose(p);
  r.code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return r;
}

Ran Cluster::Cli(const std::string& unit, const std::string& args, const std::string& author) {
  return Shell(absl::StrCat(RECTSYNC_CLI_PATH, " --lang en --author ", author, " --node ", member(unit).dir, " ",
                            args));
}

uint64_t HeadAt(cli::NodeClient& c, const std::string& origin) {
  v1::SummaryRequest req;
  req.set_unit(origin);
  req.set_frontier(true);
  auto got = cli::Call(&v1::Admin::Stub::GetSummary, c.admin(), req);
  EXPECT_TRUE(got.ok()) << got.status();
  if (!got.ok()) return 0;
  for (const v1::FrontierEntry& f : got->frontier()) {
    if (f.origin() == origin) return f.seq();
  }
  return 0;
}

bool WaitFor(const std::function<bool()>& done, int timeout_ms) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

v1::Summary Summary(cli::NodeClient& c, const std::string& unit) {
  v1::SummaryRequest req;
  req.set_unit(unit);
  req.set_children(true);
  return Must(cli::Call(&v1::Admin::Stub::GetSummary, c.admin(), req), "summary");
}

v1::SyncStatusReply SyncStatus(cli::NodeClient& c) {
  return Must(cli::Call(&v1::Admin::Stub::SyncStatus, c.admin(), v1::SyncStatusRequest()), "status");
}

v1::VerifyReply Verify(cli::NodeClient& c) {
  return Must(cli::Call(&v1::Admin::Stub::Verify, c.admin(), v1::VerifyRequest()), "verify");
}

v1::AppendReply Raise(cli::NodeClient& c, const std::string& title, const std::string& unit,
                      const std::string& detail) {
  v1::AppendRequest req;
  req.mutable_body()->set_author("test");
  auto* p = req.mutable_body()->mutable_problem_raised();
  p->set_unit(unit.empty() ? Must(cli::Call(&v1::Admin::Stub::Identity, c.admin(),
                                            v1::IdentityRequest()), "identity").unit()
                           : unit);
  p->set_source(v1::SOURCE_INSPECTION);
  p->set_category("党的建设");
  p->set_title(title);
  p->set_detail(detail);
  p->set_deadline("2027-06-30");
  return Must(cli::Call(&v1::Admin::Stub::Append, c.admin(), req), "raise");
}

}  // namespace rectsync::testing
