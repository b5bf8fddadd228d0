// A TCP proxy on loopback that a test puts between a child and its parent
// to cut the link for real (the kernel here has no netem): it forwards, or
// stalls every connection (bytes stay queued, as behind a pulled cable), or
// resets every connection and each new one, or forwards with a delay.
// Thread-safe; one thread per connection, joined on destruction.
#ifndef RECTSYNC_TESTS_CHAOS_TCP_PROXY_H_
#define RECTSYNC_TESTS_CHAOS_TCP_PROXY_H_

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace rectsync::testing {

class TcpProxy {
 public:
  enum class Mode { kForward, kStall, kReset };

  // Listens on a free loopback port and forwards to 127.0.0.1:`target_port`.
  explicit TcpProxy(int target_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }
  void Set(Mode mode) { mode_ = mode; }
  // Each chunk forwarded waits this long first (0: none).
  void SetDelay(int ms) { delay_ms_ = ms; }
  uint64_t connections() const { return connections_; }

 private:
  void Accept();
  void Pump(int client, int upstream);

  const int target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<Mode> mode_{Mode::kForward};
  std::atomic<int> delay_ms_{0};
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> connections_{0};
  std::mutex mu_;
  std::vector<std::thread> pumps_;
  std::thread acceptor_;
};

}  // namespace rectsync::testing

#endif  // RECTSYNC_TESTS_CHAOS_TCP_PROXY_H_
