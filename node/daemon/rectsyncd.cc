// rectsyncd --config DIR/node.toml: the node daemon. Serves the admin
// service on a 0600 unix socket in the data directory; stops cleanly on
// SIGTERM or SIGINT.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <thread>

#include <CLI/CLI.hpp>
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include "node/daemon/admin_service.h"
#include "node/daemon/config.h"
#include "node/daemon/node.h"

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
  auto node = rectsync::node::Node::Open(*options);
  if (!node.ok()) {
    std::fprintf(stderr, "rectsyncd: %s\n", std::string(node.status().message()).c_str());
    return 1;
  }
  rectsync::node::AdminService admin((*node).get());

  const std::string socket_path = options->AdminSocketPath();
  std::error_code ec;
  std::filesystem::remove(socket_path, ec);
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + socket_path, grpc::InsecureServerCredentials());
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

  std::thread stopper([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("signal {}: shutting down", sig);
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  });
  server->Wait();
  stopper.join();
  node->reset();  // flushes and closes the store before exit
  std::filesystem::remove(socket_path, ec);
  spdlog::info("stopped");
  return 0;
}
