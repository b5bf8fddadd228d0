// rectsyncd --config DIR/node.toml: the node daemon. Serves the admin
// service on a 0600 unix socket in the data directory, the Sync service on
// the public `listen` address (for children), and runs the sync loops
// towards `parent`. Stops cleanly on SIGTERM or SIGINT.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <thread>

#include <CLI/CLI.hpp>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <spdlog/spdlog.h>

#include "node/console/console.h"
#include "node/daemon/admin_service.h"
#include "node/daemon/config.h"
#include "node/daemon/node.h"
#include "node/sync/credentials.h"
#include "node/sync/query_service.h"
#include "node/sync/sync_client.h"
#include "node/sync/sync_service.h"

int main(int argc, char** argv) {
  CLI::App app{"rectsyncd: rectsync node daemon"};
  std::string config_path;
  app.add_option("--config", config_path, "node.toml (or its directory)")->required();
  CLI11_PARSE(app, argc, argv);

  // Block the stop signals in every thread; one thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto options = rectsync::node::LoadConfig(config_path);
  if (!options.ok()) {
    std::fprintf(stderr, "rectsyncd: %s\n", std::string(options.status().message()).c_str());
    return 1;
  }
  // An officer's in-process command may hold the store for a moment (the
  // daemon was down); wait for it rather than exit. A full disk is waited
  // out too, checked every 5 s (meanwhile the CLI reads the ledger
  // in-process, read-only); a stop signal ends the wait.
  options->read_only_fallback = false;
  absl::StatusOr<std::unique_ptr<rectsync::node::Node>> node;
  for (bool told = false;; told = true) {
    node = rectsync::node::Node::OpenWaiting(*options, std::chrono::seconds(60), [] {
      std::fprintf(stderr, "rectsyncd: the store is in use by another process (a rectsync command?); waiting\n");
    });
    if (node.ok() || node.status().code() != absl::StatusCode::kResourceExhausted) break;
    if (!told) {
      std::fprintf(stderr, "rectsyncd: %s; waiting for space (checked every 5 s)\n",
                   std::string(node.status().message()).c_str());
    }
    const timespec pause{5, 0};
    if (sigtimedwait(&signals, nullptr, &pause) > 0) return 0;
  }
  if (!node.ok()) {
    std::fprintf(stderr, "rectsyncd: %s\n", std::string(node.status().message()).c_str());
    return 1;
  }
  rectsync::node::Node* n = (*node).get();
  rectsync::node::AdminService admin(n, [n](const rectsync::v1::SummaryRequest& r) {
    return rectsync::sync::LiveSummary(n, r);
  });

  const std::string socket_path = options->AdminSocketPath();
  std::error_code ec;
  std::filesystem::remove(socket_path, ec);
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + socket_path, grpc::InsecureServerCredentials());
  builder.SetMaxReceiveMessageSize(rectsync::node::kMaxAdminRequestBytes);
  builder.RegisterService(&admin);
  mode_t old_mask = ::umask(0177);  // the socket is created 0600
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ::umask(old_mask);
  if (!server) {
    std::fprintf(stderr, "rectsyncd: cannot listen on unix:%s\n", socket_path.c_str());
    return 1;
  }
  ::chmod(socket_path.c_str(), 0600);
  spdlog::info("rectsyncd {} serving admin on unix:{}", (*node)->unit(), socket_path);

  // Public port: Sync for children.
  rectsync::sync::SyncService sync_service((*node).get());
  rectsync::sync::QueryService query_service((*node).get());
  std::unique_ptr<grpc::Server> public_server;
  if (!options->listen.empty()) {
    auto creds = rectsync::sync::ServerCredentials(*options);
    if (!creds.ok()) {
      std::fprintf(stderr, "rectsyncd: %s\n", std::string(creds.status().message()).c_str());
      return 1;
    }
    // The standard gRPC health service and server reflection on the public
    // port, for grpcurl and orchestrators (the schema is public: proto/).
    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    grpc::ServerBuilder pb;
    int port = 0;
    pb.AddListeningPort(options->listen, *creds, &port);
    rectsync::sync::ConfigureServer(*options, &pb);
    pb.RegisterService(&sync_service);
    pb.RegisterService(&query_service);
    public_server = pb.BuildAndStart();
    if (!public_server || port == 0) {
      std::fprintf(stderr, "rectsyncd: cannot listen on %s\n", options->listen.c_str());
      return 1;
    }
    spdlog::info("rectsyncd {} serving sync on {}", (*node)->unit(), options->listen);
  }
  std::unique_ptr<rectsync::sync::SyncClient> sync_client;
  if (!options->parent.empty()) {
    auto client = rectsync::sync::SyncClient::Create((*node).get());
    if (!client.ok()) {
      std::fprintf(stderr, "rectsyncd: %s\n", std::string(client.status().message()).c_str());
      return 1;
    }
    sync_client = *std::move(client);
    sync_client->Start();
    spdlog::info("rectsyncd {} syncing with {} at {}", (*node)->unit(), options->parent_unit,
                 options->parent);
  }
  std::unique_ptr<rectsync::sync::SyncClient> failover_client;
  if (sync_client != nullptr && !options->failover.empty()) {
    auto client = rectsync::sync::SyncClient::CreateFailover((*node).get(), sync_client.get());
    if (!client.ok()) {
      std::fprintf(stderr, "rectsyncd: %s\n", std::string(client.status().message()).c_str());
      return 1;
    }
    failover_client = *std::move(client);
    failover_client->Start();
    spdlog::info("rectsyncd {} fails over to {} at {} after {} s without {}", (*node)->unit(),
                 options->failover_unit, options->failover, options->failover_after_ms / 1000,
                 options->parent_unit);
  }
  // The officers' web console, when configured.
  std::unique_ptr<rectsync::console::Console> console;
  if (!options->console_listen.empty()) {
    auto started = rectsync::console::Console::Start(n, *options);
    if (!started.ok()) {
      std::fprintf(stderr, "rectsyncd: %s\n", std::string(started.status().message()).c_str());
      return 1;
    }
    console = *std::move(started);
    spdlog::info("rectsyncd {} serving the console on {}", n->unit(), console->url());
  }
  // Ready marker for scripts: written once every port is open.
  std::printf("ready\n");
  std::fflush(stdout);

  std::thread stopper([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("signal {}: shutting down", sig);
    if (failover_client) failover_client->Stop();
    if (sync_client) sync_client->Stop();
    sync_service.Stop();
    if (public_server) public_server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  });
  server->Wait();
  stopper.join();
  console.reset();
  failover_client.reset();  // before the parent link it watches
  sync_client.reset();
  if (public_server) public_server->Wait();
  node->reset();  // flushes and closes the store before exit
  std::filesystem::remove(socket_path, ec);
  spdlog::info("stopped");
  return 0;
}
