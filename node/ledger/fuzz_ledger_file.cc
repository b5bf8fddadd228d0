// libFuzzer entry point: a ledger file as an officer might upload it (CSV
// or .xlsx, any bytes). Checks that reading never crashes, hangs or
// allocates without bound, and that what it accepts plans valid records.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "aggregator/validate.h"
#include "node/ledger/formats.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::string unit = "3201/05";
  rectsync::ledger::LedgerImport in = rectsync::ledger::ParseLedgerFile(bytes, unit);
  if (!in.errors.empty()) return 0;
  uint64_t seq = 1;
  for (auto& r : rectsync::ledger::PlanLedgerRecords(in.problems, unit, seq, "fuzz", "f")) {
    // Everything the parser lets through must be a record the node takes,
    // once the node stamps it (origin, seq, prev, hlc) as Node::Append does.
    r.body.set_origin(unit);
    r.body.set_seq(++seq);
    r.body.set_prev(std::string(32, '\x01'));
    r.body.set_hlc(uint64_t{1700000000000} << 16);
    absl::Status s = rectsync::aggregator::ValidateBody(r.body);
    if (!s.ok()) {
      std::fprintf(stderr, "line %d plans an invalid record: %s\n%s\n", r.line, std::string(s.message()).c_str(),
                   r.body.DebugString().c_str());
      std::abort();
    }
  }
  return 0;
}
