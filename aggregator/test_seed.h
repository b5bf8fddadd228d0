// The seed of a randomized test: fixed unless the environment says
// otherwise, so that a run in CI is the same run everywhere and a failure
// replays. RECTSYNC_SEED=N runs seed N; RECTSYNC_SEED=random draws one from
// the clock (for soak loops). Tests print the seed they ran.
#ifndef RECTSYNC_AGGREGATOR_TEST_SEED_H_
#define RECTSYNC_AGGREGATOR_TEST_SEED_H_

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>

namespace rectsync {

inline constexpr uint64_t kDefaultTestSeed = 20261206;

inline uint64_t TestSeed() {
  const char* env = std::getenv("RECTSYNC_SEED");
  if (env == nullptr || *env == '\0') return kDefaultTestSeed;
  if (std::strcmp(env, "random") == 0) {
    return static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()) ^
           (uint64_t{std::random_device()()} << 32);
  }
  return std::strtoull(env, nullptr, 10);
}

}  // namespace rectsync

#endif  // RECTSYNC_AGGREGATOR_TEST_SEED_H_
