// Test harness for cross-process sync tests: builds a hierarchy of node
// data directories in a temp dir (keys, enrolments, node.toml with loopback
// ports), starts and kills real `rectsyncd` processes, and reaches each
// node's Admin service over its socket (or in-process when its daemon is
// down). Not thread-safe; one Cluster per test.
#ifndef RECTSYNC_TESTS_SYNC_CLUSTER_H_
#define RECTSYNC_TESTS_SYNC_CLUSTER_H_

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "node/cli/client.h"
#include "node/daemon/node.h"
#include "rectsync/v1/sync.grpc.pb.h"

namespace rectsync::testing {

struct Member {
  std::string unit;
  std::string dir;
  int port = 0;         // public port (0: none)
  std::string parent;   // parent unit ("" for the root)
  pid_t pid = 0;        // running daemon
};

class Cluster {
 public:
  Cluster();
  ~Cluster();  // kills every daemon, removes the temp dir

  // Adds the root, or a unit enrolled by `parent` (already added).
  void AddRoot(const std::string& unit, const std::string& name);
  // `valid_until_ms`: the enrolment's expiry (0: none).
  void Add(const std::string& unit, const std::string& name, v1::Level level,
           const std::string& parent, bool listen, int64_t valid_until_ms = 0);
  // Extra node.toml lines for a member (written before it is started).
  void Configure(const std::string& unit, const std::map<std::string, std::string>& settings);

  void Start(const std::string& unit);   // waits for "ready"
  void Kill(const std::string& unit, int signal);
  bool Running(const std::string& unit) const;

  // A client of the member's Admin service (daemon socket or in-process).
  std::unique_ptr<cli::NodeClient> Client(const std::string& unit);
  // Opens the member's store in-process (its daemon must be down).
  std::unique_ptr<node::Node> OpenNode(const std::string& unit);

  // `rectsync` on the member's node, as officer `author` (English output).
  struct Ran Cli(const std::string& unit, const std::string& args, const std::string& author = "officer");

  Member& member(const std::string& unit) { return members_.at(unit); }
  // The enrolment file the member was initialised from (DIR.enrollment).
  std::string EnrollmentFile(const std::string& unit) const { return members_.at(unit).dir + ".enrollment"; }
  const std::string& root_dir() const { return root_; }

 private:
  std::string root_;
  std::map<std::string, Member> members_;
};

// The chain most tests use: city → county → township → two villages.
inline constexpr char kCity[] = "3201";
inline constexpr char kCounty[] = "3201/320115";
inline constexpr char kTown[] = "3201/320115/320115003";
inline constexpr char kVillage1[] = "3201/320115/320115003/001";
inline constexpr char kVillage2[] = "3201/320115/320115003/002";
// Adds that chain to `c` (not started); villages get a public port when
// `villages_listen`.
void BuildChain(Cluster& c, bool villages_listen = false);

// A command's exit code and its stdout and stderr together.
struct Ran {
  int code = -1;
  std::string out;
};
Ran Shell(const std::string& cmd);

// The head seq of `origin` as the node behind `c` holds it (0: none).
uint64_t HeadAt(cli::NodeClient& c, const std::string& origin);

// Polls `done` every 20 ms until it is true or `timeout_ms` passes.
bool WaitFor(const std::function<bool()>& done, int timeout_ms = 20000);

// A loopback TCP port that was free a moment ago.
int FreePort();

// A hello from `node` for one call to the server behind `stub`, over a
// nonce from its Challenge (fails the test when the challenge fails).
v1::Hello ChallengedHello(v1::Sync::Stub* stub, const node::Node& node, const std::string& parent);

// Pushes one batch under `hello` in a stream of its own: the reply, or the
// stream's status as a refusal when there is none.
v1::PushReply PushOneBatch(v1::Sync::Stub* stub, const v1::Hello& hello,
                           const std::vector<v1::Record>& records);

// Convenience Admin calls; they fail the test on error.
v1::Summary Summary(cli::NodeClient& c, const std::string& unit = "");
v1::SyncStatusReply SyncStatus(cli::NodeClient& c);
v1::VerifyReply Verify(cli::NodeClient& c);
// A problem raised at the node behind `c` for `unit` ("": its own unit).
v1::AppendReply Raise(cli::NodeClient& c, const std::string& title, const std::string& unit = "",
                      const std::string& detail = "");

}  // namespace rectsync::testing

#endif  // RECTSYNC_TESTS_SYNC_CLUSTER_H_
