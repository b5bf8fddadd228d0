#include "node/cli/client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "aggregator/status_macros.h"
#include "node/daemon/admin_service.h"
#include "node/daemon/config.h"
#include "node/daemon/node.h"

namespace rectsync::cli {
namespace {

// Whether a process listens on the unix socket at `path`. A daemon killed
// without cleaning up leaves its socket file behind; gRPC would keep
// retrying it until its deadline, so ask the kernel first (refused at once).
bool SomeoneListens(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path)) return true;  // let gRPC say what is wrong
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return true;
  const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}
// A report or an export of a large subtree is one large answer.
grpc::ChannelArguments Args() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(1 << 30);
  return args;
}
}  // namespace

struct NodeClient::InProcess {
  std::unique_ptr<node::Node> node;
  std::unique_ptr<node::AdminService> service;
  std::unique_ptr<grpc::Server> server;
};

NodeClient::~NodeClient() {
  stub_.reset();
  channel_.reset();
  if (local_ && local_->server) local_->server->Shutdown();
}

absl::StatusOr<std::unique_ptr<NodeClient>> NodeClient::Connect(const std::string& data_dir,
                                                                std::chrono::milliseconds wait) {
  ASSIGN_OR_RETURN(node::NodeOptions options, node::LoadConfig(data_dir));
  std::unique_ptr<NodeClient> client(new NodeClient());
  const std::string socket = options.AdminSocketPath();
  // The daemon's channel, if one answers on the admin socket within `patience`.
  std::shared_ptr<grpc::Channel> daemon;
  auto daemon_answers = [&](std::chrono::milliseconds patience) {
    if (!SomeoneListens(socket)) return false;
    auto channel = grpc::CreateCustomChannel("unix:" + socket, grpc::InsecureChannelCredentials(), Args());
    if (!channel->WaitForConnected(std::chrono::system_clock::now() + patience)) return false;
    daemon = std::move(channel);
    return true;
  };
  auto over_daemon = [&]() {
    client->channel_ = std::move(daemon);
    client->stub_ = v1::Admin::NewStub(client->channel_);
    return std::move(client);
  };
  if (daemon_answers(std::chrono::seconds(3))) return over_daemon();
  // No daemon: open the node here, waiting while another command holds it.
  auto local = std::make_unique<InProcess>();
  absl::StatusOr<std::unique_ptr<node::Node>> opened = node::Node::OpenWaiting(
      options, wait,
      [] { std::cerr << "rectsync: the node's store is in use by another command; waiting for it\n"; },
      [&] { return daemon_answers(std::chrono::milliseconds(100)); });
  if (absl::IsCancelled(opened.status()) && daemon) return over_daemon();
  if (absl::IsDeadlineExceeded(opened.status())) {
    return absl::DeadlineExceededError(
        absl::StrCat(opened.status().message(), ". Try again, or wait longer with --wait SECONDS"));
  }
  if (!opened.ok()) return opened.status();
  local->node = std::move(*opened);
  local->service = std::make_unique<node::AdminService>(local->node.get());
  grpc::ServerBuilder builder;
  builder.SetMaxReceiveMessageSize(node::kMaxAdminRequestBytes);
  builder.RegisterService(local->service.get());
  local->server = builder.BuildAndStart();
  if (!local->server) return absl::InternalError("cannot start the in-process admin service");
  client->channel_ = local->server->InProcessChannel(Args());
  client->stub_ = v1::Admin::NewStub(client->channel_);
  client->local_ = std::move(local);
  client->in_process_ = true;
  return client;
}

}  // namespace rectsync::cli
