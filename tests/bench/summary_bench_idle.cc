// summary_bench [6] idle: what an idle link and an attestation cost at the
// city as the subtree grows. For a unit of each level, Node::Handshake as a
// child's heartbeat calls it — without a digest (what every heartbeat cost
// before: the whole frontier of the child's subtree) and with the digest of
// the frontier the child believes (now: frontier_unchanged) — timed and
// measured in reply bytes. Then the city's attestations: its first since
// opening (the whole frontier) and the next after one record (what moved).
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "aggregator/status_macros.h"
#include "node/daemon/test_bodies.h"
#include "tests/bench/summary_bench.h"
#include "tests/bench/sync_bench_util.h"

namespace rectsync::bench {
namespace {

struct HandshakeCost {
  double us = 0;
  size_t bytes = 0;
};

absl::StatusOr<HandshakeCost> TimeHandshake(node::Node* city, const std::string& child,
                                            const std::string& digest, int reps) {
  HandshakeCost c;
  const auto start = SteadyClock::now();
  for (int i = 0; i < reps; ++i) {
    ASSIGN_OR_RETURN(v1::HandshakeReply r, city->Handshake(child, digest));
    if (!digest.empty() && !r.frontier_unchanged()) {
      return absl::InternalError(absl::StrCat("the city's digest of ", child, " does not match its own"));
    }
    c.bytes = r.ByteSizeLong();
  }
  c.us = MillisSince(start) * 1000 / reps;
  return c;
}

absl::StatusOr<size_t> LatestAttestationBytes(node::Node* city, int* entries, uint64_t* base) {
  ASSIGN_OR_RETURN(std::optional<v1::Record> env, city->LatestOwnAttestation());
  if (!env) return absl::InternalError("the city wrote no attestation");
  ASSIGN_OR_RETURN(record::DecodedRecord r, record::Decode(*env));
  *entries = r.body.summary_attested().frontier_size();
  *base = r.body.summary_attested().frontier_base();
  return env->ByteSizeLong();
}

}  // namespace

absl::Status RunIdle(const CityLedger& l, node::Node* city) {
  std::printf("\n[6] idle: a heartbeat's handshake and an attestation at the city, by subtree size\n");
  const std::vector<std::vector<std::string>> units = UnitsByLevel(l);
  std::string json = R"({"bench":"idle_link")";
  HandshakeCost top_whole, top_idle, bottom_idle;
  for (int level = 0; level < 4; ++level) {
    const std::string& unit = units[level].front();
    ASSIGN_OR_RETURN(auto heads, city->store()->HeadsUnder(unit));
    const int reps = heads.size() > 1000 ? 50 : 500;
    ASSIGN_OR_RETURN(HandshakeCost whole, TimeHandshake(city, unit, "", reps));
    const std::string digest = city->store()->head_table().DigestUnder(unit).bytes();
    ASSIGN_OR_RETURN(HandshakeCost idle, TimeHandshake(city, unit, digest, reps));
    if (level == 0) top_whole = whole, top_idle = idle;
    bottom_idle = idle;
    Report(absl::StrFormat("  %s (%zu origins): whole frontier / digest", kLevels[level], heads.size()),
           absl::StrFormat("%.1f / %.1f us, %zu / %zu bytes", whole.us, idle.us, whole.bytes, idle.bytes), "");
    absl::StrAppend(&json, absl::StrFormat(R"(,"%s_origins":%zu,"%s_whole_us":%.1f,"%s_digest_us":%.1f,)"
                                           R"("%s_whole_bytes":%zu,"%s_digest_bytes":%zu)",
                                           kLevels[level], heads.size(), kLevels[level], whole.us,
                                           kLevels[level], idle.us, kLevels[level], whole.bytes,
                                           kLevels[level], idle.bytes));
  }
  Report("idle handshake, largest subtree: whole / digest",
         absl::StrFormat("%.0fx the time, %.0fx the bytes; digest at largest / at a village: %.2fx the time",
                         top_whole.us / top_idle.us, static_cast<double>(top_whole.bytes) / top_idle.bytes,
                         top_idle.us / bottom_idle.us),
         json + "}");

  // The city's attestations: the first since opening states every origin;
  // after one record, the next states what moved.
  ASSIGN_OR_RETURN(bool wrote, city->Attest("bench"));
  if (!wrote) return absl::InternalError("the city's first attestation was not written");
  int whole_entries = 0, delta_entries = 0;
  uint64_t whole_base = 0, delta_base = 0;
  ASSIGN_OR_RETURN(size_t whole_bytes, LatestAttestationBytes(city, &whole_entries, &whole_base));
  RETURN_IF_ERROR(city->Append(node::testing::Raise(l.city, "市本级问题")).status());
  const auto start = SteadyClock::now();
  ASSIGN_OR_RETURN(wrote, city->Attest("bench"));
  const double delta_ms = MillisSince(start);
  if (!wrote) return absl::InternalError("the city's second attestation was not written");
  ASSIGN_OR_RETURN(size_t delta_bytes, LatestAttestationBytes(city, &delta_entries, &delta_base));
  if (whole_base != 0 || delta_base == 0) return absl::InternalError("attestation bases are not as expected");
  Report("attestation: whole frontier (first) / what moved (next)",
         absl::StrFormat("%d / %d entries, %zu / %zu bytes (next written in %.2f ms)", whole_entries,
                         delta_entries, whole_bytes, delta_bytes, delta_ms),
         absl::StrFormat(R"({"bench":"attestation","whole_entries":%d,"delta_entries":%d,)"
                         R"("whole_bytes":%zu,"delta_bytes":%zu,"delta_ms":%.2f})",
                         whole_entries, delta_entries, whole_bytes, delta_bytes, delta_ms));
  return absl::OkStatus();
}

}  // namespace rectsync::bench
