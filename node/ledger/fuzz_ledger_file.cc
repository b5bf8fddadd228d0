// libFuzzer entry point: a ledger file as an officer might upload it (CSV
// or .xlsx, any bytes). Checks that reading never crashes, hangs or
// allocates without bound, and that what it accepts plans valid records.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "aggregator/validate.h"
#include "node/ledger/formats.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::string unit = "3201/05";
  rectsync::ledger::LedgerImport in = rectsync::ledger::ParseLedgerFile(bytes, unit);
  if (!in.errors.empty()) return 0;
  for (const auto& r : rectsync::ledger::PlanLedgerRecords(in.problems, unit, 1, "fuzz", "f")) {
    // Everything the parser lets through must be a record the node takes.
    if (!rectsync::aggregator::ValidateBody(r.body).ok()) std::abort();
  }
  return 0;
}
