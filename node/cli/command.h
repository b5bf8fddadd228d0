// What every `rectsync` command group shares: the global options, the node
// the command talks to, and the helpers that turn a command into a record.
// main.cc parses; each cmd_*.cc adds one group of subcommands.
#ifndef RECTSYNC_NODE_CLI_COMMAND_H_
#define RECTSYNC_NODE_CLI_COMMAND_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "node/cli/client.h"
#include "node/cli/labels.h"

namespace rectsync::cli {

// The global options (--node, --author, --lang, --json).
struct Context {
  std::string node_dir;
  std::string author;
  std::string lang_name = "zh";
  bool json = false;
  double wait_seconds = 30;  // how long a command waits for a store another process holds
  Lang lang() const { return lang_name == "en" ? Lang::kEn : Lang::kZh; }
};

using Action = std::function<absl::Status()>;

// One run of the command line: the options, the action the parsed command
// chose (run after parsing), and the node connection it opened.
struct Session {
  Context ctx;
  Action action;
  std::unique_ptr<NodeClient> client;
  std::optional<v1::IdentityReply> me;  // the node's identity, asked once
};

// A group of subcommands. CLI11 binds each option to a variable by address
// and runs the callbacks after parsing, so a group keeps its option values
// as members and lives until the action has run (main.cc holds them).
class CommandGroup {
 public:
  virtual ~CommandGroup() = default;
  CommandGroup(const CommandGroup&) = delete;
  CommandGroup& operator=(const CommandGroup&) = delete;

 protected:
  explicit CommandGroup(Session& session)
      : ctx(session.ctx), action(session.action), client(session.client), me_(session.me) {}
  // Makes `run` the action when `command` is the one parsed.
  void on_run(CLI::App* command, Action run) {
    command->callback([this, run = std::move(run)] { action = run; });
  }
  // Connects to the node of --node (its daemon, or the store in-process).
  absl::Status connect();
  // The connected node's unit, name, key and head (one Identity call per run).
  absl::StatusOr<v1::IdentityReply> identity();
  // "P3" is short for "<this node's unit>:P3"; a full id, or none (""), is
  // returned as it is.
  absl::StatusOr<std::string> full_id(const std::string& id);

  Context& ctx;
  Action& action;
  std::unique_ptr<NodeClient>& client;

 private:
  std::optional<v1::IdentityReply>& me_;
};

// The groups, in the order `rectsync --help` lists them.
std::unique_ptr<CommandGroup> AddNodeCommands(CLI::App& app, Session& session);      // keygen init enroll verify restore status whoami
std::unique_ptr<CommandGroup> AddWorkflowCommands(CLI::App& app, Session& session);  // inspection problem measure progress claim review close reopen
std::unique_ptr<CommandGroup> AddSummaryCommands(CLI::App& app, Session& session);   // figures summary reconcile
std::unique_ptr<CommandGroup> AddLedgerCommands(CLI::App& app, Session& session);    // export report import
std::unique_ptr<CommandGroup> AddBundleCommands(CLI::App& app, Session& session);    // bundle export|import
std::unique_ptr<CommandGroup> AddKeyCommands(CLI::App& app, Session& session);       // key next|rotate|revoke|history

absl::StatusOr<std::string> ReadFile(const std::string& path);

// Appends one record carrying the event set on `body`, written by ctx.author,
// and prints what was recorded.
absl::Status AppendAndReport(const Context& ctx, NodeClient& client, v1::RecordBody body);

}  // namespace rectsync::cli

#endif  // RECTSYNC_NODE_CLI_COMMAND_H_
