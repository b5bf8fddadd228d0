#include "tests/bench/sync_bench_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "aggregator/status_macros.h"
#include "node/daemon/config.h"

namespace rectsync::bench {
namespace {

// Process-wide registries the signal handler reads: fixed slots, no
// allocation. A slot holds 0 when free.
constexpr int kMaxChildren = 64;
std::atomic<pid_t> g_children[kMaxChildren];
constexpr int kMaxScratch = 8;
constexpr size_t kPathMax = 512;
char g_scratch[kMaxScratch][kPathMax];
std::atomic<bool> g_scratch_used[kMaxScratch];

void RegisterChild(pid_t pid) {
  for (auto& slot : g_children) {
    pid_t free_slot = 0;
    if (slot.compare_exchange_strong(free_slot, pid)) return;
  }
}

void UnregisterChild(pid_t pid) {
  for (auto& slot : g_children) {
    pid_t held = pid;
    if (slot.compare_exchange_strong(held, 0)) return;
  }
}

void KillAllChildren() {
  for (auto& slot : g_children) {
    pid_t pid = slot.exchange(0);
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
}

extern "C" void OnStopSignal(int sig) {
  KillAllChildren();
  // Not async-signal-safe, but the process is about to end and nothing
  // else runs on its behalf: better than leaving scratch data behind.
  for (int i = 0; i < kMaxScratch; ++i) {
    if (g_scratch_used[i]) {
      std::error_code ec;
      std::filesystem::remove_all(g_scratch[i], ec);
    }
  }
  ::_exit(128 + sig);
}

bool Exited(pid_t pid, std::chrono::milliseconds within) {
  const auto until = SteadyClock::now() + within;
  while (SteadyClock::now() < until) {
    pid_t r = ::waitpid(pid, nullptr, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

}  // namespace

ScratchDir::ScratchDir(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = absl::StrCat(tmp != nullptr && *tmp ? tmp : "/tmp", "/", prefix, ".XXXXXX");
  if (::mkdtemp(tmpl.data()) == nullptr) {
    std::fprintf(stderr, "sync_bench: mkdtemp %s: %s\n", tmpl.c_str(), std::strerror(errno));
    std::exit(1);
  }
  path_ = tmpl;
  for (int i = 0; i < kMaxScratch; ++i) {
    if (!g_scratch_used[i] && path_.size() < kPathMax) {
      std::snprintf(g_scratch[i], kPathMax, "%s", path_.c_str());
      g_scratch_used[i] = true;
      break;
    }
  }
}

void ScratchDir::Keep() {
  keep_ = true;
  for (int i = 0; i < kMaxScratch; ++i) {
    if (g_scratch_used[i] && path_ == g_scratch[i]) g_scratch_used[i] = false;
  }
}

ScratchDir::~ScratchDir() {
  for (int i = 0; i < kMaxScratch; ++i) {
    if (g_scratch_used[i] && path_ == g_scratch[i]) g_scratch_used[i] = false;
  }
  if (keep_) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void InstallCleanupHandlers() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof(sa));
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGHUP, &sa, nullptr);
  std::atexit(KillAllChildren);
}

namespace {
struct Figure {
  std::string label;
  std::string value;
  std::string json;
};
std::vector<Figure>& Figures() {
  static auto* figures = new std::vector<Figure>;
  return *figures;
}
}  // namespace

void Report(std::string label, std::string value, std::string json) {
  std::printf("  %-52s %s\n", label.c_str(), value.c_str());
  std::fflush(stdout);
  Figures().push_back({std::move(label), std::move(value), std::move(json)});
}

void PrintReportedJson() {
  for (const Figure& f : Figures()) {
    if (!f.json.empty()) std::printf("%s\n", f.json.c_str());
  }
  std::fflush(stdout);
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  double one = 0, five = 0, fifteen = 0;
  in >> one >> five >> fifteen;
  return absl::StrFormat("%.2f %.2f %.2f", one, five, fifteen);
}

std::string DefaultDaemonPath() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  return (self.parent_path().parent_path().parent_path() / "node/daemon/rectsyncd").string();
}

absl::StatusOr<int> FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("socket: ", std::strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return absl::UnavailableError(absl::StrCat("bind 127.0.0.1:0: ", std::strerror(errno)));
  }
  ::close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

absl::Status EnrollChild(node::Node* parent, const std::string& dir, const UnitSpec& spec) {
  ASSIGN_OR_RETURN(std::string public_key, node::Node::KeyGen(dir));
  v1::EnrollRequest req;
  req.set_author("bench");
  req.set_unit(spec.unit);
  req.set_name(spec.name);
  req.set_level(spec.level);
  req.set_public_key(public_key);
  ASSIGN_OR_RETURN(v1::EnrollmentBundle bundle, parent->Enroll(req));
  return node::Node::InitFromBundle(dir, bundle);
}

absl::Status BuildChain(const std::vector<UnitSpec>& specs, const std::vector<std::string>& dirs) {
  if (specs.empty() || specs.size() != dirs.size()) {
    return absl::InvalidArgumentError("BuildChain: one dir per unit, at least one unit");
  }
  node::RootInit root;
  root.unit = specs[0].unit;
  root.name = specs[0].name;
  root.level = specs[0].level;
  root.author = "bench";
  RETURN_IF_ERROR(node::Node::InitRoot(dirs[0], root));
  for (size_t i = 1; i < specs.size(); ++i) {
    ASSIGN_OR_RETURN(std::unique_ptr<node::Node> parent, OpenNode(dirs[i - 1], false));
    RETURN_IF_ERROR(EnrollChild(parent.get(), dirs[i], specs[i]));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<node::Node>> OpenNode(const std::string& dir, bool sync_writes) {
  ASSIGN_OR_RETURN(node::NodeOptions options, node::LoadConfig(dir));
  options.sync_writes = sync_writes;
  return node::Node::Open(options);
}

absl::Status ConfigureNetwork(const std::string& dir, const std::string& listen,
                              const std::string& parent, bool sync_writes,
                              const std::string& extra_toml) {
  ASSIGN_OR_RETURN(node::NodeOptions options, node::LoadConfig(dir));
  options.sync_writes = sync_writes;
  options.listen = listen;
  options.parent = parent;
  options.plaintext = true;
  RETURN_IF_ERROR(node::WriteConfig(options));
  if (!extra_toml.empty()) {
    std::ofstream out(options.ConfigPath(), std::ios::app);
    out << extra_toml << "\n";
    out.close();
    if (!out) return absl::UnavailableError(absl::StrCat("cannot append to ", options.ConfigPath()));
  }
  return node::LoadConfig(dir).status();  // fail here, not in the daemon
}

v1::RecordBody RaiseBody(const std::string& unit, const std::string& title) {
  v1::RecordBody b;
  b.set_author("bench");
  v1::ProblemRaised* e = b.mutable_problem_raised();
  e->set_unit(unit);
  e->set_source(v1::SOURCE_INSPECTION);
  e->set_category("惠民资金");
  e->set_title(title);
  e->set_detail("巡察发现：部分惠民补贴发放台账不全，公示不及时");
  e->set_deadline("2031-06-30");
  return b;
}

absl::StatusOr<int64_t> AppendWorkload(node::Node* node, int64_t count, const std::string& tag) {
  int64_t problems = 0;
  std::string problem, measure;
  for (int64_t i = 0; i < count; ++i) {
    v1::RecordBody b;
    b.set_author("bench");
    const int step = static_cast<int>(i % 5);
    if (i == count - 1 || step == 0) {
      b = RaiseBody(node->unit(), absl::StrCat(tag, " 问题 ", i));
    } else if (step == 1) {
      v1::MeasureAdded* e = b.mutable_measure_added();
      e->set_problem_id(problem);
      e->set_text("建立补贴发放公示台账，每月公开一次，纪检委员督促落实");
      e->set_deadline("2031-03-31");
    } else {
      v1::ProgressReported* e = b.mutable_progress_reported();
      e->set_problem_id(problem);
      e->set_note(step == 4 ? "整改措施已落实，台账已补齐" : "已组织自查，追回多发补贴");
      if (step == 2) e->mutable_outcomes()->set_funds_recovered_fen(125000);
      if (step >= 3) e->set_measure_id(measure);
      e->set_measure_done(step == 4);
    }
    ASSIGN_OR_RETURN(v1::AppendReply reply, node->Append(std::move(b)));
    if (i == count - 1 || step == 0) {
      problem = reply.subject();
      ++problems;
    } else if (step == 1) {
      measure = reply.subject();
    }
  }
  return problems;
}

absl::Status Daemon::Start(std::chrono::milliseconds timeout) {
  if (pid_ > 0) return absl::FailedPreconditionError("daemon already started");
  const std::string log = dir_ + "/daemon.log";
  const std::string config = dir_ + "/node.toml";
  std::vector<char*> argv = {const_cast<char*>(binary_.c_str()), const_cast<char*>("--config"),
                             const_cast<char*>(config.c_str()), nullptr};
  // The log is appended to across starts: look for this start's "ready" only.
  std::error_code size_ec;
  const auto offset = std::filesystem::file_size(log, size_ec);
  const std::streamoff from = size_ec ? 0 : static_cast<std::streamoff>(offset);
  const auto spawned = SteadyClock::now();
  pid_t pid = ::fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
      ::close(fd);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  pid_ = pid;
  RegisterChild(pid);
  const auto until = spawned + timeout;
  while (SteadyClock::now() < until) {
    std::ifstream in(log);
    in.seekg(from);
    std::string line;
    while (std::getline(in, line)) {
      if (line == "ready") {
        ready_ms_ = MillisSince(spawned);
        return absl::OkStatus();
      }
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      UnregisterChild(pid_);
      pid_ = -1;
      return absl::InternalError(absl::StrCat("rectsyncd in ", dir_, " exited early:\n", LogTail()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  Stop();
  return absl::DeadlineExceededError(absl::StrCat("rectsyncd in ", dir_, " not ready:\n", LogTail()));
}

void Daemon::Terminate() {
  if (pid_ <= 0 || terminated_) return;
  ::kill(pid_, SIGTERM);
  terminated_ = true;
}

void Daemon::Stop() {
  if (pid_ <= 0) return;
  Terminate();
  if (!Exited(pid_, std::chrono::seconds(15))) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  UnregisterChild(pid_);
  pid_ = -1;
  terminated_ = false;
}

std::string Daemon::LogTail() const {
  std::ifstream in(dir_ + "/daemon.log");
  std::stringstream all;
  all << in.rdbuf();
  std::string s = all.str();
  return s.size() > 2000 ? s.substr(s.size() - 2000) : s;
}

absl::StatusOr<std::unique_ptr<AdminClient>> AdminClient::Connect(const std::string& dir) {
  ASSIGN_OR_RETURN(node::NodeOptions options, node::LoadConfig(dir));
  auto channel =
      grpc::CreateChannel("unix:" + options.AdminSocketPath(), grpc::InsecureChannelCredentials());
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5))) {
    return absl::UnavailableError(absl::StrCat("cannot reach ", options.AdminSocketPath()));
  }
  return std::unique_ptr<AdminClient>(new AdminClient(std::move(channel)));
}

namespace {
absl::Status FromGrpc(const grpc::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      absl::StrCat(what, ": ", s.error_message()));
}
}  // namespace

absl::StatusOr<v1::AppendReply> AdminClient::Append(const v1::RecordBody& body) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::AppendRequest req;
  *req.mutable_body() = body;
  v1::AppendReply reply;
  RETURN_IF_ERROR(FromGrpc(stub_->Append(&ctx, req, &reply), "Append"));
  return reply;
}

absl::StatusOr<v1::Summary> AdminClient::Summary() { return Summary(v1::SummaryRequest()); }

absl::StatusOr<v1::Summary> AdminClient::Summary(const v1::SummaryRequest& request) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::Summary reply;
  RETURN_IF_ERROR(FromGrpc(stub_->GetSummary(&ctx, request, &reply), "GetSummary"));
  return reply;
}

double Percentile(std::vector<double>* values, double p) {
  if (values->empty()) return 0;
  std::sort(values->begin(), values->end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(values->size())));
  rank = std::clamp<size_t>(rank, 1, values->size());
  return (*values)[rank - 1];
}

}  // namespace rectsync::bench
