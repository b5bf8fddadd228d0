// `rectsync bundle export | import`: sync by USB stick (离线包) for a unit
// with no network at all (node/daemon/node_bundle.cc, bundle.proto).
//
// The village exports what its parent has not receipted; the township
// imports it and gets an answer file at once (receipts, and the problems,
// reviews and closures that concern the village); the village imports the
// answer and stands as if it had pushed and pulled.

#include <ctime>
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "aggregator/status_macros.h"
#include "node/cli/command.h"
#include "node/daemon/node.h"
#include "node/store/durable_file.h"

namespace rectsync::cli {
namespace {

// "3201_320115-to-3201_320115_320115003-20261206-1403.rsbundle", in `dir`.
std::string DefaultName(const std::string& dir, const v1::BundleInfo& info) {
  const std::time_t t = static_cast<std::time_t>(info.created_ms() / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char when[32];
  std::strftime(when, sizeof(when), "%Y%m%d-%H%M%S", &tm);
  std::string name = absl::StrCat(absl::StrReplaceAll(info.from(), {{"/", "_"}}), "-to-",
                                  absl::StrReplaceAll(info.to(), {{"/", "_"}}), "-", when, ".rsbundle");
  return dir.empty() ? name : absl::StrCat(dir, "/", name);
}

nlohmann::json InfoJson(const v1::BundleInfo& i) {
  return {{"from", i.from()},       {"to", i.to()},           {"created_ms", i.created_ms()},
          {"records", i.records()}, {"origins", i.origins()}, {"receipts", i.receipts()},
          {"fork_proofs", i.fork_proofs()}};
}

std::string InfoText(Lang lang, const v1::BundleInfo& i) {
  if (lang == Lang::kZh) {
    return absl::StrCat(i.from(), " → ", i.to(), ": ", i.records(), " 条记录 (", i.origins(), " 个来源), ",
                        i.receipts(), " 张回执, ", i.fork_proofs(), " 份分叉证据");
  }
  return absl::StrCat(i.from(), " → ", i.to(), ": ", i.records(), " records (", i.origins(), " origins), ",
                      i.receipts(), " receipts, ", i.fork_proofs(), " fork proofs");
}

class BundleCommands : public CommandGroup {
 public:
  BundleCommands(CLI::App& app, Session& session);

 private:
  v1::ExportBundleRequest export_req;
  bool export_all = false;
  std::string export_out, import_file, import_answer;
};

BundleCommands::BundleCommands(CLI::App& app, Session& session) : CommandGroup(session) {
  auto* bundle = app.add_subcommand("bundle", "sync by USB stick (离线包) where there is no network");
  bundle->require_subcommand(1);

  auto* exp = bundle->add_subcommand(
      "export", "write a bundle: up, what the parent has not receipted; down (--for), what a unit below needs");
  exp->add_option("--for", *export_req.mutable_for_unit(),
                  "a unit below this node: its receipts and the records that concern it (下发)");
  exp->add_flag("--all", export_all, "up: every record of this subtree, receipted or not");
  exp->add_option("--out", export_out, "file to write (default a name with both units and the time)");
  on_run(exp, [this]() -> absl::Status {
    export_req.set_all(export_all);
    RETURN_IF_ERROR(connect());
    ASSIGN_OR_RETURN(v1::ExportBundleReply got, Call(&v1::Admin::Stub::ExportBundle, client->admin(), export_req));
    const std::string path = export_out.empty() ? DefaultName("", got.info()) : export_out;
    RETURN_IF_ERROR(store::ReplaceFileDurably(path, got.file(), 0600));
    if (ctx.json) {
      std::cout << nlohmann::json{{"file", path}, {"bundle", InfoJson(got.info())}}.dump(2) << "\n";
    } else {
      std::cout << (ctx.lang() == Lang::kZh ? "已导出离线包 " : "exported bundle ")
                << InfoText(ctx.lang(), got.info()) << "\n  → " << path << "\n";
    }
    return absl::OkStatus();
  });

  auto* imp = bundle->add_subcommand(
      "import", "take a bundle: from below, its records (answered by a bundle to carry back); from above, receipts and records");
  imp->add_option("file", import_file, "the bundle file (.rsbundle)")->required();
  imp->add_option("--answer", import_answer,
                  "from below: where to write the answer (default beside the file, named by units and time)");
  on_run(imp, [this]() -> absl::Status {
    const bool zh = ctx.lang() == Lang::kZh;
    ASSIGN_OR_RETURN(std::string bytes, ReadFile(import_file));
    if (bytes.size() > static_cast<size_t>(node::kMaxBundleFileBytes)) {
      return absl::InvalidArgumentError(absl::StrCat(import_file, ": ", bytes.size(),
                                                     " bytes, more than a bundle may have (",
                                                     node::kMaxBundleFileBytes, "); export in parts"));
    }
    RETURN_IF_ERROR(connect());
    v1::ImportBundleRequest req;
    req.set_file(std::move(bytes));
    absl::StatusOr<v1::ImportBundleReply> called = Call(&v1::Admin::Stub::ImportBundle, client->admin(), req);
    if (!called.ok()) {
      return absl::Status(called.status().code(), absl::StrCat(import_file, ": ", called.status().message()));
    }
    const v1::ImportBundleReply& r = *called;
    std::string answer_path;
    if (r.has_answer()) {
      const std::string dir = import_file.find('/') == std::string::npos
                                  ? std::string()
                                  : import_file.substr(0, import_file.rfind('/'));
      answer_path = import_answer.empty() ? DefaultName(dir, r.answer().info()) : import_answer;
      RETURN_IF_ERROR(store::ReplaceFileDurably(answer_path, r.answer().file(), 0600));
    }
    if (ctx.json) {
      nlohmann::json j{{"file", import_file},
                       {"bundle", InfoJson(r.info())},
                       {"stored", r.stored()},
                       {"duplicates", r.duplicates()},
                       {"receipts", r.receipts()},
                       {"fork_proofs", r.fork_proofs()},
                       {"refusals", r.refusals()}};
      if (r.has_answer()) j["answer"] = {{"file", answer_path}, {"bundle", InfoJson(r.answer().info())}};
      std::cout << j.dump(2) << "\n";
    } else {
      std::cout << (zh ? "已导入离线包 " : "imported bundle ") << InfoText(ctx.lang(), r.info()) << "\n  "
                << (zh ? "新存 " : "stored ") << r.stored() << (zh ? " 条, 已有 " : ", already held ")
                << r.duplicates() << (zh ? " 条, 回执 " : ", receipts taken ") << r.receipts() << "\n";
      for (const std::string& why : r.refusals()) std::cerr << (zh ? "  拒收: " : "  refused: ") << why << "\n";
      if (r.has_answer()) {
        std::cout << (zh ? "回传离线包 " : "answer bundle ") << InfoText(ctx.lang(), r.answer().info())
                  << "\n  → " << answer_path
                  << (zh ? "  (带回下级导入: rectsync bundle import 该文件)\n"
                         : "  (carry it back and import it there: rectsync bundle import FILE)\n");
      }
    }
    if (!r.refusals().empty()) {
      return absl::FailedPreconditionError(absl::StrCat(import_file, ": ", r.refusals_size(),
                                                        r.refusals_size() == 1 ? " batch" : " batches",
                                                        " refused (listed above); the rest is stored"));
    }
    return absl::OkStatus();
  });
}

}  // namespace

std::unique_ptr<CommandGroup> AddBundleCommands(CLI::App& app, Session& session) {
  return std::make_unique<BundleCommands>(app, session);
}

}  // namespace rectsync::cli
