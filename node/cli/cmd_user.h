// `rectsync user add|passwd|disable|enable|role|ls`: the officer accounts of
// a node's web console (DIR/officers.json). Works with the daemon running or
// not: the daemon rereads the file when it changes.
#ifndef RECTSYNC_NODE_CLI_CMD_USER_H_
#define RECTSYNC_NODE_CLI_CMD_USER_H_

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "absl/status/status.h"

namespace rectsync::cli {

// Adds the `user` command group. `node_dir` and `json` are the global
// options, read when the command runs; the chosen command is put in `action`.
void AddUserCommands(CLI::App& app, const std::string* node_dir, const bool* json,
                     std::function<absl::Status()>* action);

}  // namespace rectsync::cli

#endif  // RECTSYNC_NODE_CLI_CMD_USER_H_
