#include "node/cli/cmd_user.h"

#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "aggregator/status_macros.h"
#include "node/console/officers.h"

namespace rectsync::cli {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A password from the terminal (twice, not echoed) or the first line of
// standard input when it is not a terminal (scripts: `echo pw | rectsync user add`).
absl::StatusOr<std::string> ReadPassword() {
  auto line = [](const char* prompt) -> std::string {
    std::string s;
    if (::isatty(STDIN_FILENO)) {
      std::cerr << prompt << std::flush;
      termios old{};
      ::tcgetattr(STDIN_FILENO, &old);
      termios quiet = old;
      quiet.c_lflag &= ~ECHO;
      ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
      std::getline(std::cin, s);
      ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
      std::cerr << "\n";
    } else {
      std::getline(std::cin, s);
    }
    return s;
  };
  std::string pw = line("password (8 or more characters): ");
  if (::isatty(STDIN_FILENO) && line("again: ") != pw) {
    return absl::InvalidArgumentError("password: the two entries differ");
  }
  if (pw.empty()) return absl::InvalidArgumentError("password: none given (type it, or pipe it on standard input)");
  return pw;
}

}  // namespace

void AddUserCommands(CLI::App& app, const std::string* node_dir, const bool* json,
                     std::function<absl::Status()>* action) {
  auto* user = app.add_subcommand("user", "officer accounts of this node's web console (用户)");
  user->require_subcommand(1);
  struct Args {
    std::string name, display, role = "clerk";
  };
  auto args = std::make_shared<Args>();
  auto store = [node_dir]() -> absl::StatusOr<std::unique_ptr<console::OfficerStore>> {
    if (node_dir->empty()) {
      return absl::InvalidArgumentError("--node: no node selected (give --node DIR or set RECTSYNC_NODE)");
    }
    if (!std::filesystem::exists(*node_dir + "/node.toml")) {
      return absl::NotFoundError(absl::StrCat(*node_dir, " is not a node directory (no node.toml)"));
    }
    return std::make_unique<console::OfficerStore>(*node_dir);
  };

  auto* add = user->add_subcommand("add", "add an officer; the password is read from the terminal or standard input");
  add->add_option("name", args->name, "login name: lower-case letters, digits, . _ -")->required();
  add->add_option("--display", args->display, "name shown and written as author, e.g. 王芳");
  add->add_option("--role", args->role, "viewer, clerk (default), reviewer or admin")
      ->check(CLI::IsMember({"viewer", "clerk", "reviewer", "admin"}));
  add->callback([=] {
    *action = [=]() -> absl::Status {
      ASSIGN_OR_RETURN(std::unique_ptr<console::OfficerStore> s, store());
      ASSIGN_OR_RETURN(console::Role role, console::ParseRole(args->role));
      ASSIGN_OR_RETURN(std::string pw, ReadPassword());
      RETURN_IF_ERROR(s->Add(args->name, args->display, role, pw, NowMs()));
      std::cout << "added " << args->name << " (" << args->role << ")\n";
      return absl::OkStatus();
    };
  });
  auto* passwd = user->add_subcommand("passwd", "set an officer's password (read like add's)");
  passwd->add_option("name", args->name)->required();
  passwd->callback([=] {
    *action = [=]() -> absl::Status {
      ASSIGN_OR_RETURN(std::unique_ptr<console::OfficerStore> s, store());
      ASSIGN_OR_RETURN(std::string pw, ReadPassword());
      RETURN_IF_ERROR(s->SetPassword(args->name, pw, NowMs()));
      std::cout << "password set for " << args->name << "\n";
      return absl::OkStatus();
    };
  });
  for (const bool disable : {true, false}) {
    auto* cmd = user->add_subcommand(disable ? "disable" : "enable",
                                     disable ? "disable an officer (their sessions end at the next request)"
                                             : "enable a disabled officer");
    cmd->add_option("name", args->name)->required();
    cmd->callback([=] {
      *action = [=]() -> absl::Status {
        ASSIGN_OR_RETURN(std::unique_ptr<console::OfficerStore> s, store());
        RETURN_IF_ERROR(s->SetDisabled(args->name, disable, NowMs()));
        std::cout << (disable ? "disabled " : "enabled ") << args->name << "\n";
        return absl::OkStatus();
      };
    });
  }
  auto* role = user->add_subcommand("role", "change an officer's role");
  role->add_option("name", args->name)->required();
  role->add_option("role", args->role)->required()->check(CLI::IsMember({"viewer", "clerk", "reviewer", "admin"}));
  role->callback([=] {
    *action = [=]() -> absl::Status {
      ASSIGN_OR_RETURN(std::unique_ptr<console::OfficerStore> s, store());
      ASSIGN_OR_RETURN(console::Role r, console::ParseRole(args->role));
      RETURN_IF_ERROR(s->SetRole(args->name, r, NowMs()));
      std::cout << args->name << " is now " << args->role << "\n";
      return absl::OkStatus();
    };
  });
  auto* ls = user->add_subcommand("ls", "list the officers");
  ls->callback([=] {
    *action = [=]() -> absl::Status {
      ASSIGN_OR_RETURN(std::unique_ptr<console::OfficerStore> s, store());
      ASSIGN_OR_RETURN(std::vector<console::Officer> all, s->List());
      if (*json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& o : all) {
          out.push_back({{"name", o.name}, {"display", o.display}, {"role", console::RoleName(o.role)},
                         {"disabled", o.disabled}});
        }
        std::cout << out.dump(2) << "\n";
      } else {
        for (const auto& o : all) {
          std::cout << o.name << "\t" << console::RoleName(o.role) << "\t" << (o.disabled ? "disabled" : "enabled")
                    << "\t" << o.display << "\n";
        }
      }
      return absl::OkStatus();
    };
  });
}

}  // namespace rectsync::cli
