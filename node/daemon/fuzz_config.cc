// libFuzzer entry point: a node.toml as an operator might write it (any
// bytes). Checks that reading it never crashes, and that what it accepts
// names a unit and a data directory.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "node/daemon/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp ? tmp : "/tmp") + "/rectsync-fuzz-config-XXXXXX";
    return std::string(::mkdtemp(tmpl.data()));
  }();
  const std::string path = dir + "/node.toml";
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<rectsync::node::NodeOptions> options = rectsync::node::LoadConfig(path);
  if (options.ok() && (options->unit.empty() || options->data_dir.empty())) {
    std::fprintf(stderr, "accepted a node.toml without a unit or data directory\n");
    std::abort();
  }
  if (!options.ok() && options.status().message().empty()) {
    std::fprintf(stderr, "refused a node.toml without saying why\n");
    std::abort();
  }
  return 0;
}
