// Helpers for sync_bench and summary_bench: a scratch directory, hierarchies
// of nodes set up in-process (init, enrol, node.toml), rectsyncd child
// processes, an Admin client on a daemon's admin socket, a record workload,
// and the figure table. Benchmark code only; single-threaded use unless
// stated.
//
// Every rectsyncd started here is registered process-wide and killed on
// exit, on SIGINT/SIGTERM, and (PR_SET_PDEATHSIG) if the bench dies.
#ifndef RECTSYNC_TESTS_BENCH_SYNC_BENCH_UTIL_H_
#define RECTSYNC_TESTS_BENCH_SYNC_BENCH_UTIL_H_

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "node/daemon/node.h"
#include "rectsync/v1/admin.grpc.pb.h"

namespace rectsync::bench {

namespace v1 = ::rectsync::v1;

using SteadyClock = std::chrono::steady_clock;
inline double MillisSince(SteadyClock::time_point start) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count();
}

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on
// destruction unless kept. Also removed by the bench's signal handler.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  // Leaves the directory in place, also on SIGINT/SIGTERM.
  void Keep();

 private:
  std::string path_;
  bool keep_ = false;
};

// Installs the SIGINT/SIGTERM handler and the atexit hook that kill every
// registered daemon. Call once at start-up.
void InstallCleanupHandlers();

// The figure table every bench prints: Report() prints one row now and
// keeps `json` (if not empty); PrintReportedJson() prints the kept lines,
// one per line, at the end ({"bench":...} for collection scripts).
void Report(std::string label, std::string value, std::string json);
void PrintReportedJson();

// The 1, 5 and 15 minute load averages ("0.52 0.40 0.31"): the figures
// mean little on a machine busy with something else.
std::string LoadAverage();

// rectsyncd beside this binary's build tree: <build>/tests/bench/<bench>
// -> <build>/node/daemon/rectsyncd ("" if /proc/self/exe is unreadable).
std::string DefaultDaemonPath();

// A TCP port on 127.0.0.1 that was free a moment ago.
absl::StatusOr<int> FreeLoopbackPort();

// One unit of a hierarchy to set up.
struct UnitSpec {
  std::string unit;
  std::string name;
  v1::Level level = v1::LEVEL_UNSPECIFIED;
};

// Creates DIR as a child of `parent`: key, UnitEnrolled appended at the
// parent, node initialised from the bundle.
absl::Status EnrollChild(node::Node* parent, const std::string& dir, const UnitSpec& spec);

// Sets up a chain root -> ... -> leaf in dirs[i] (one per spec, specs[0] is
// the root), enrolling each unit with its parent opened in-process.
absl::Status BuildChain(const std::vector<UnitSpec>& specs, const std::vector<std::string>& dirs);

// Opens the node in `dir` with its node.toml, overriding sync_writes.
absl::StatusOr<std::unique_ptr<node::Node>> OpenNode(const std::string& dir, bool sync_writes);

// Rewrites DIR/node.toml with a listen/parent address (plaintext loopback)
// and sync_writes, and appends `extra_toml` (lines such as
// "batch_records = 500" that WriteConfig does not write).
absl::Status ConfigureNetwork(const std::string& dir, const std::string& listen,
                              const std::string& parent, bool sync_writes,
                              const std::string& extra_toml);

// Appends `count` records at `node`: problems, each followed by a measure
// and progress reports on it (5 records per problem), the last record
// always a ProblemRaised, so that a parent holding N problems of this
// origin holds every record before. Returns the number of problems raised.
absl::StatusOr<int64_t> AppendWorkload(node::Node* node, int64_t count, const std::string& tag);

// A rectsyncd child process for the node in `dir`; stdout and stderr go to
// DIR/daemon.log. Stopped (SIGTERM, then SIGKILL) on destruction.
class Daemon {
 public:
  Daemon(std::string binary, std::string dir) : binary_(std::move(binary)), dir_(std::move(dir)) {}
  ~Daemon() { Stop(); }
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Spawns the daemon and waits until it prints "ready" (its ports are
  // open). DeadlineExceeded or Internal, with the log's tail, otherwise.
  absl::Status Start(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Sends SIGTERM and returns; Stop() then waits.
  void Terminate();
  // SIGTERM, up to 15 s for a clean exit, then SIGKILL.
  void Stop();
  // The last ~2000 bytes of DIR/daemon.log.
  std::string LogTail() const;
  // The child's process id while it runs, else -1.
  pid_t pid() const { return pid_; }
  // Milliseconds from spawn to "ready".
  double ready_ms() const { return ready_ms_; }
  const std::string& dir() const { return dir_; }

 private:
  const std::string binary_;
  const std::string dir_;
  pid_t pid_ = -1;
  bool terminated_ = false;
  double ready_ms_ = 0;
};

// Admin service of a running daemon, over DIR/admin.sock. Thread-safe.
class AdminClient {
 public:
  static absl::StatusOr<std::unique_ptr<AdminClient>> Connect(const std::string& dir);

  absl::StatusOr<v1::AppendReply> Append(const v1::RecordBody& body);
  // The node's summary of its own subtree.
  absl::StatusOr<v1::Summary> Summary();
  absl::StatusOr<v1::Summary> Summary(const v1::SummaryRequest& request);

 private:
  explicit AdminClient(std::shared_ptr<grpc::Channel> channel)
      : channel_(std::move(channel)), stub_(v1::Admin::NewStub(channel_)) {}
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Admin::Stub> stub_;
};

// A ProblemRaised body for `unit` (author and event only).
v1::RecordBody RaiseBody(const std::string& unit, const std::string& title);

// Nearest-rank percentile (0 < p <= 100) of `values`; sorts them.
double Percentile(std::vector<double>* values, double p);

}  // namespace rectsync::bench

#endif  // RECTSYNC_TESTS_BENCH_SYNC_BENCH_UTIL_H_
