// What the chaos tests share: officers writing through the CLI on real
// nodes, the expected-state model of what the CLI acknowledged, waiting for
// the city to hold what the units hold, and the end-of-run checks.
#ifndef RECTSYNC_TESTS_CHAOS_CHAOS_H_
#define RECTSYNC_TESTS_CHAOS_CHAOS_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/sync/cluster.h"

namespace rectsync::testing {

using SteadyClock = std::chrono::steady_clock;
double SecondsSince(SteadyClock::time_point t);

// A positive integer from the environment, or `otherwise`.
int EnvInt(const char* name, int otherwise);

// A write the CLI acknowledged: where, at which seq, under which id (hex).
struct Ack {
  std::string unit;
  uint64_t seq = 0;
  std::string id;
};

// What the officers were told. Thread-safe.
class Model {
 public:
  void Acknowledged(Ack a);
  void Refused() { refused_.fetch_add(1); }
  void BadReply(const std::string& unit, const std::string& out);
  std::vector<Ack> acks() const;
  std::vector<std::string> bad_replies() const;
  uint64_t refused() const { return refused_.load(); }

 private:
  mutable std::mutex mu_;
  std::vector<Ack> acks_;
  std::vector<std::string> bad_replies_;
  std::atomic<uint64_t> refused_{0};
};

// One officer per unit, each on a thread, writing through the CLI until
// Stop: a problem raised, a measure added to it, progress reported on it, in
// turn. Whatever serves the node answers: its daemon, or the CLI in-process
// while the daemon is down. Every acknowledged write goes to the model.
class Officers {
 public:
  Officers(Cluster& c, const std::vector<std::string>& units, Model& model);
  ~Officers() { Stop(); }
  void Stop();  // waits for each officer's command in flight

 private:
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

// Each unit's head as its own node holds it (daemons up).
std::map<std::string, uint64_t> OwnHeads(Cluster& c, const std::vector<std::string>& units);

// Waits until the city holds at least `heads`; false after `timeout_ms`,
// with `behind` saying which unit it still lacks.
bool CityHolds(Cluster& c, const std::map<std::string, uint64_t>& heads, int timeout_ms,
               std::string* behind);

// What the end-of-run checks counted.
struct Tally {
  uint64_t checked = 0;     // acknowledged writes looked up
  uint64_t lost = 0;        // missing or changed at their node or at the city
  uint64_t duplicated = 0;  // acknowledged twice, or one record at two seqs
};

// With every daemon up and the city converged: verify is clean on every
// node and the city's summary of each unit equals the unit's own. Then stops
// every daemon and, against each store in-process, checks the model: every
// acknowledged write at its node and at the city under its id, and each
// writer's seqs 1..head exactly once at both. Failures are test failures.
Tally CheckEnd(Cluster& c, const std::vector<std::string>& units, const std::vector<std::string>& writers,
               const Model& model);

}  // namespace rectsync::testing

#endif  // RECTSYNC_TESTS_CHAOS_CHAOS_H_
