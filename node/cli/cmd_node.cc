// `rectsync keygen | init | enroll | verify | restore | status | whoami`: a node's
// key, its place in the hierarchy, its ledger's integrity and its links.

#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "aggregator/status_macros.h"
#include "node/cli/command.h"
#include "node/cli/render.h"
#include "node/cli/render_sync.h"
#include "node/daemon/config.h"
#include "node/daemon/node.h"
#include "node/record/keys.h"
#include "node/store/durable_file.h"
#include "node/sync/sync_client.h"

namespace rectsync::cli {
namespace {

// Initialises the node in `dir` from the enrolment file its parent issued.
absl::Status InitFromEnrollmentFile(const std::string& dir, const std::string& file) {
  ASSIGN_OR_RETURN(std::string bytes, ReadFile(file));
  v1::EnrollmentBundle bundle;
  if (!bundle.ParseFromString(bytes)) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": not an enrolment file"));
  }
  return node::Node::InitFromBundle(dir, bundle);
}

// Writes the link settings of `net` (listen, parent, parent unit, plaintext)
// into dir/node.toml and returns the configuration as loaded back (checked).
absl::StatusOr<node::NodeOptions> WriteLinks(const std::string& dir, const node::NodeOptions& net) {
  ASSIGN_OR_RETURN(node::NodeOptions o, node::LoadConfig(dir));
  o.listen = net.listen;
  o.parent = net.parent;
  o.parent_unit = net.parent_unit;
  o.plaintext = net.plaintext;
  RETURN_IF_ERROR(node::WriteConfig(o));
  return node::LoadConfig(dir);
}

class NodeCommands : public CommandGroup {
 public:
  NodeCommands(CLI::App& app, Session& session);

 private:
  bool root = false;
  std::string init_unit, init_name, init_level = "city", enrollment_file;
  node::NodeOptions net;
  v1::EnrollRequest enroll_req;
  std::string enroll_level, enroll_pk, enroll_out;
  std::string restore_enrollment;
  node::NodeOptions restore_net;
};

NodeCommands::NodeCommands(CLI::App& app, Session& session) : CommandGroup(session) {
  // keygen
  auto* keygen = app.add_subcommand("keygen", "create this node's key (node.key, 0600) and print its public key");
  on_run(keygen, [this]() -> absl::Status {
    ASSIGN_OR_RETURN(std::string pk, node::Node::KeyGen(ctx.node_dir));
    std::cout << record::ToHex(pk) << "\n";
    return absl::OkStatus();
  });

  // init
  auto* init = app.add_subcommand("init", "initialise a node: --root, or from an enrolment file");
  init->add_flag("--root", root, "this node is the root of the hierarchy (its key is the trust anchor)");
  init->add_option("--unit", init_unit, "root unit id, e.g. 3201");
  init->add_option("--name", init_name, "root unit name, e.g. XX市");
  init->add_option("--level", init_level, "root level (default city)");
  init->add_option("--enrollment", enrollment_file, "enrolment file issued by the parent");
  init->add_option("--listen", net.listen, "public gRPC address for children, e.g. 127.0.0.1:7001");
  init->add_option("--parent", net.parent, "the parent's gRPC address, e.g. 127.0.0.1:7000");
  init->add_flag("--plaintext", net.plaintext, "allow plaintext gRPC (loopback addresses only)");
  init->add_option("--parent-unit", net.parent_unit,
                   "the parent's unit when it is not the next unit up the id path");
  on_run(init, [this]() -> absl::Status {
    if (ctx.node_dir.empty()) return absl::InvalidArgumentError("--node: required for init");
    if (root == !enrollment_file.empty()) {
      return absl::InvalidArgumentError("init: give exactly one of --root or --enrollment FILE");
    }
    if (root) {
      node::RootInit r;
      r.unit = init_unit;
      r.name = init_name;
      ASSIGN_OR_RETURN(r.level, ParseLevel(init_level));
      r.author = ctx.author;
      RETURN_IF_ERROR(node::Node::InitRoot(ctx.node_dir, r));
    } else {
      RETURN_IF_ERROR(InitFromEnrollmentFile(ctx.node_dir, enrollment_file));
    }
    if (!net.listen.empty() || !net.parent.empty()) RETURN_IF_ERROR(WriteLinks(ctx.node_dir, net).status());
    RETURN_IF_ERROR(connect());
    ASSIGN_OR_RETURN(v1::IdentityReply me, identity());
    std::cout << (ctx.lang() == Lang::kZh ? "节点已初始化: " : "node initialised: ") << me.unit()
              << " " << me.name() << "  " << record::ToHex(me.public_key()) << "\n";
    return absl::OkStatus();
  });

  // enroll
  auto* enroll = app.add_subcommand("enroll", "admit a child unit (UnitEnrolled) and write its enrolment file");
  enroll->add_option("--unit", *enroll_req.mutable_unit(), "child unit id")->required();
  enroll->add_option("--name", *enroll_req.mutable_name(), "child unit name")->required();
  enroll->add_option("--level", enroll_level, "city county township village department")->required();
  enroll->add_option("--public-key", enroll_pk, "child's public key (hex, from `rectsync keygen`)")->required();
  enroll->add_option("--out", enroll_out, "where to write the enrolment file")->required();
  on_run(enroll, [this]() -> absl::Status {
    ASSIGN_OR_RETURN(v1::Level level, ParseLevel(enroll_level));
    ASSIGN_OR_RETURN(std::string pk, record::FromHex(enroll_pk, "public-key"));
    enroll_req.set_level(level);
    enroll_req.set_public_key(pk);
    enroll_req.set_author(ctx.author);
    RETURN_IF_ERROR(connect());
    ASSIGN_OR_RETURN(v1::EnrollmentBundle bundle,
                     Call(&v1::Admin::Stub::Enroll, client->admin(), enroll_req));
    RETURN_IF_ERROR(store::ReplaceFileDurably(enroll_out, bundle.SerializeAsString()));
    std::cout << (ctx.lang() == Lang::kZh ? "已入网 " : "enrolled ") << enroll_req.unit() << " → "
              << enroll_out << "\n";
    return absl::OkStatus();
  });

  // verify
  auto* verify = app.add_subcommand("verify", "re-check every chain link and signature in the ledger");
  on_run(verify, [this]() -> absl::Status {
    RETURN_IF_ERROR(connect());
    ASSIGN_OR_RETURN(v1::VerifyReply v, Call(&v1::Admin::Stub::Verify, client->admin(), v1::VerifyRequest()));
    std::cout << (ctx.json ? VerifyJson(v).dump(2) + "\n" : RenderVerify(ctx.lang(), v));
    if (!v.ok()) return absl::DataLossError("ledger verification failed");
    return absl::OkStatus();
  });

  // restore
  auto* restore = app.add_subcommand(
      "restore", "rebuild this node from its parent's copy after its disk was lost");
  restore->add_option("--enrollment", restore_enrollment,
                      "enrolment file: the original if node.key was kept, a new one after re-enrolment")
      ->required();
  restore->add_option("--parent", restore_net.parent, "the parent's gRPC address")->required();
  restore->add_option("--listen", restore_net.listen, "public gRPC address for children");
  restore->add_flag("--plaintext", restore_net.plaintext, "allow plaintext gRPC (loopback only)");
  restore->add_option("--parent-unit", restore_net.parent_unit, "the parent's unit, if not the next one up");
  on_run(restore, [this]() -> absl::Status {
    if (ctx.node_dir.empty()) return absl::InvalidArgumentError("--node: required for restore");
    RETURN_IF_ERROR(InitFromEnrollmentFile(ctx.node_dir, restore_enrollment));
    ASSIGN_OR_RETURN(node::NodeOptions o, WriteLinks(ctx.node_dir, restore_net));
    ASSIGN_OR_RETURN(std::unique_ptr<node::Node> n, node::Node::Open(o));
    ASSIGN_OR_RETURN(std::unique_ptr<sync::SyncClient> sync, sync::SyncClient::Create(n.get()));
    ASSIGN_OR_RETURN(uint64_t restored, sync->RestoreFromParent());
    ASSIGN_OR_RETURN(v1::IdentityReply me, n->Identity());
    std::cout << (ctx.lang() == Lang::kZh ? "已从上级恢复 " : "restored from the parent: ") << restored
              << (ctx.lang() == Lang::kZh ? " 条记录; 本单位台账续接于 #" : " records; own log continues after #")
              << me.head_seq() << "\n";
    return absl::OkStatus();
  });

  // status
  auto* status = app.add_subcommand("status", "sync links: last contact, pending records, lag, refusals, forks");
  on_run(status, [this]() -> absl::Status {
    RETURN_IF_ERROR(connect());
    ASSIGN_OR_RETURN(v1::SyncStatusReply st, Call(&v1::Admin::Stub::SyncStatus, client->admin(),
                                                   v1::SyncStatusRequest()));
    std::cout << (ctx.json ? SyncStatusJson(st).dump(2) + "\n" : RenderSyncStatus(ctx.lang(), st));
    return absl::OkStatus();
  });

  // whoami

  auto* whoami = app.add_subcommand("whoami", "this node's unit, key and head");
  on_run(whoami, [this]() -> absl::Status {
    RETURN_IF_ERROR(connect());
    ASSIGN_OR_RETURN(v1::IdentityReply me, identity());
    if (ctx.json) {
      std::cout << nlohmann::json{{"unit", me.unit()}, {"name", me.name()},
                                  {"level", LevelKey(me.level())},
                                  {"public_key", record::ToHex(me.public_key())},
                                  {"root_public_key", record::ToHex(me.root_public_key())},
                                  {"head_seq", me.head_seq()},
                                  {"head_id", record::ToHex(me.head_id())}}
                       .dump(2)
                << "\n";
    } else {
      std::cout << me.unit() << " " << me.name() << " (" << Label(ctx.lang(), LevelKey(me.level()))
                << ")\n  key " << record::ToHex(me.public_key()) << "\n  head #" << me.head_seq()
                << " " << record::ToHex(me.head_id()).substr(0, 12) << "\n";
    }
    return absl::OkStatus();
  });
}

}  // namespace

std::unique_ptr<CommandGroup> AddNodeCommands(CLI::App& app, Session& session) {
  return std::make_unique<NodeCommands>(app, session);
}

}  // namespace rectsync::cli
