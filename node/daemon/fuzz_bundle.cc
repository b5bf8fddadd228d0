// libFuzzer entry point: a bundle file (离线包) as the parent imports it from
// a USB stick (Node::ImportBundle), any bytes or a variation of the county's
// valid upward bundle (fuzz_nodes.h). Checks that it never crashes and that
// the parent's ledger still verifies afterwards.
#include <cstddef>
#include <cstdint>

#include "node/daemon/fuzz_nodes.h"

using rectsync::node::fuzzing::FuzzNodes;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzNodes& nodes = FuzzNodes::Get();
  const std::string file = rectsync::node::fuzzing::Variation(nodes.bundle(), data, size);
  nodes.City().ImportBundle(file).IgnoreError();
  nodes.AfterInput("a bundle import");
  return 0;
}
