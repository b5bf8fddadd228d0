// rectsync: the officers' and operators' command line. Every write becomes a
// signed record on the node selected by --node (or RECTSYNC_NODE).
// Exit codes: 0 ok, 1 refused (the message names the field or rule), 2 usage.
// The subcommands are in groups, one file each (cmd_*.cc, node/cli/command.h).
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "node/cli/cmd_user.h"
#include "node/cli/command.h"

namespace rectsync::cli {
namespace {

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "rectsync: %s\n", std::string(s.message()).c_str());
  return 1;
}

}  // namespace

int Main(int argc, char** argv) {
  // An in-process node logs for an operator's journal; the officer at the
  // command line is told what matters by the command's own message.
  spdlog::set_level(spdlog::level::err);
  CLI::App app{"rectsync: rectification ledger (整改台账) command line"};
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand
  Session session;
  Context& ctx = session.ctx;
  if (const char* env = std::getenv("RECTSYNC_NODE")) ctx.node_dir = env;
  if (const char* env = std::getenv("RECTSYNC_AUTHOR")) ctx.author = env;
  else if (const char* user = std::getenv("USER")) ctx.author = user;
  if (ctx.author.empty()) ctx.author = "operator";
  app.add_option("--node", ctx.node_dir, "node data directory (env RECTSYNC_NODE)");
  app.add_option("--author", ctx.author, "officer writing the record (env RECTSYNC_AUTHOR)");
  app.add_option("--lang", ctx.lang_name, "zh (default) or en")->check(CLI::IsMember({"zh", "en"}));
  app.add_flag("--json", ctx.json, "machine-readable output");
  if (const char* env = std::getenv("RECTSYNC_WAIT")) ctx.wait_seconds = std::atof(env);
  app.add_option("--wait", ctx.wait_seconds,
                 "seconds to wait while another command or a starting daemon holds the node's store "
                 "(default 30; env RECTSYNC_WAIT)")
      ->check(CLI::NonNegativeNumber);

  std::vector<std::unique_ptr<CommandGroup>> groups;
  groups.push_back(AddNodeCommands(app, session));
  groups.push_back(AddWorkflowCommands(app, session));
  groups.push_back(AddSummaryCommands(app, session));
  groups.push_back(AddLedgerCommands(app, session));
  groups.push_back(AddBundleCommands(app, session));
  groups.push_back(AddKeyCommands(app, session));
  AddUserCommands(app, &ctx.node_dir, &ctx.json, &session.action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (!session.action) return 2;
  absl::Status s = session.action();
  if (!s.ok()) {
    // Verification failure already printed its report.
    return Fail(s);
  }
  return 0;
}

}  // namespace rectsync::cli

int main(int argc, char** argv) { return rectsync::cli::Main(argc, argv); }
