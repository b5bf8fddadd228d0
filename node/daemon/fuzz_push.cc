// libFuzzer entry point: a push batch from a child as the parent's batch
// handler takes it (Node::IngestPush, behind SyncService's hello check),
// any bytes or a variation of a valid batch (fuzz_nodes.h). Checks that it
// never crashes, that a refusal says why, that what it takes it receipts,
// and that the parent's ledger still verifies afterwards.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "node/daemon/fuzz_nodes.h"

using rectsync::node::fuzzing::FuzzNodes;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzNodes& nodes = FuzzNodes::Get();
  rectsync::v1::PushBatch batch;
  if (!batch.ParseFromString(rectsync::node::fuzzing::Variation(nodes.push_batch(), data, size))) return 0;
  const rectsync::v1::PushReply reply = nodes.City().IngestPush(rectsync::node::fuzzing::kFuzzCounty, batch);
  if (reply.error().empty() == (reply.code() != 0) || (reply.stored() > 0 && reply.receipt().body().empty())) {
    std::fprintf(stderr, "inconsistent reply: %s\n", reply.DebugString().c_str());
    std::abort();
  }
  nodes.AfterInput("a push");
  return 0;
}
