// Node's hellos (DESIGN §5, §7): every call on the public port starts with
// a hello signed by the caller's enrolled key over a nonce this node issued
// for that call (Challenge). A nonce is taken once, so a hello seen on the
// wire cannot be replayed; an enrolment past its expiry (plus the grace)
// opens no call.
#include <sodium.h>

#include "absl/strings/str_cat.h"
#include "aggregator/status_macros.h"
#include "aggregator/unit_id.h"
#include "node/daemon/node.h"

namespace rectsync::node {
namespace {

using aggregator::StrictlyBelow;

constexpr size_t kNonceSize = 32;
// Issued nonces lapse after this long unused.
constexpr int64_t kNonceLifetimeMs = 60 * 1000;
// At most this many outstanding; the oldest lapse first beyond it.
constexpr size_t kMaxNonces = 100000;

std::string HelloMessage(const v1::Hello& h) {
  return absl::StrCat(absl::string_view("rectsync.hello.v2\0", 18), h.unit(),
                      absl::string_view("\0", 1), h.parent(), absl::string_view("\0", 1),
                      store::EncodeU64(static_cast<uint64_t>(h.time_ms())), h.nonce());
}

}  // namespace

absl::StatusOr<v1::ChallengeReply> Node::Challenge(const std::string& unit) {
  RETURN_IF_ERROR(aggregator::ValidateUnitId(unit, "challenge.unit"));
  const int64_t now = clock_.wall()->NowMillis();
  v1::ChallengeReply reply;
  std::string nonce(kNonceSize, '\0');
  randombytes_buf(nonce.data(), nonce.size());
  reply.set_nonce(nonce);
  reply.set_expires_ms(now + kNonceLifetimeMs);
  std::lock_guard<std::mutex> lock(nonce_mu_);
  while (!nonce_order_.empty() &&
         (nonce_order_.size() >= kMaxNonces || nonce_order_.front().first <= now)) {
    nonces_.erase(nonce_order_.front().second);
    nonce_order_.pop_front();
  }
  nonces_[nonce] = IssuedNonce{unit, reply.expires_ms()};
  nonce_order_.emplace_back(reply.expires_ms(), nonce);
  return reply;
}

v1::Hello Node::MakeHello(const std::string& parent, const std::string& nonce) const {
  v1::Hello h;
  h.set_unit(unit_);
  h.set_parent(parent);
  h.set_time_ms(clock_.wall()->NowMillis());
  h.set_nonce(nonce);
  h.set_signature(Key()->Sign(HelloMessage(h)));
  h.set_advertise(options_.advertise.empty() ? options_.listen : options_.advertise);
  return h;
}

absl::Status Node::CheckHello(const v1::Hello& h) {
  RETURN_IF_ERROR(CheckCaller(h));
  if (!StrictlyBelow(h.unit(), unit_)) {
    return absl::PermissionDeniedError(
        absl::StrCat("\"", h.unit(), "\" is not below \"", unit_, "\": it may not sync here"));
  }
  return absl::OkStatus();
}

absl::Status Node::CheckCaller(const v1::Hello& h) {
  RETURN_IF_ERROR(aggregator::ValidateUnitId(h.unit(), "hello.unit"));
  if (h.parent() != unit_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "hello is addressed to \"", h.parent(), "\" but this node is \"", unit_, "\""));
  }
  const int64_t now = clock_.wall()->NowMillis();
  if (std::abs(now - h.time_ms()) > options_.max_clock_skew_ms) {
    return absl::UnauthenticatedError(absl::StrCat(
        "hello from \"", h.unit(), "\" is stamped ", (h.time_ms() - now) / 1000,
        " s away from this node's clock (bound ", options_.max_clock_skew_ms / 1000, " s)"));
  }
  if (h.nonce().empty()) {
    return absl::UnauthenticatedError(absl::StrCat(
        "hello from \"", h.unit(), "\" carries no nonce: ask Challenge for one and sign it"));
  }
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    ASSIGN_OR_RETURN(std::vector<const record::Enrolment*> current,
                     trust_.Current(h.unit(), now, options_.enrolment_grace_ms,
                                                   options_.max_clock_skew_ms));
    bool signed_ok = false;
    for (const record::Enrolment* e : current) {
      signed_ok = signed_ok || record::VerifySignature(e->public_key, HelloMessage(h), h.signature());
    }
    if (!signed_ok) {
      return absl::UnauthenticatedError(absl::StrCat(
          "hello signature does not verify under the enrolled key of \"", h.unit(), "\""));
    }
  }
  // Only a validly signed hello spends its nonce, so that garbage sent with
  // a nonce seen on the wire cannot spoil the caller's call.
  std::lock_guard<std::mutex> lock(nonce_mu_);
  auto it = nonces_.find(h.nonce());
  if (it == nonces_.end() || it->second.expires_ms <= now) {
    return absl::UnauthenticatedError(absl::StrCat(
        "hello from \"", h.unit(),
        "\" signs a nonce this node did not issue, or has already taken or let lapse: "
        "a hello is good for one call"));
  }
  if (it->second.unit != h.unit()) {
    return absl::UnauthenticatedError(absl::StrCat(
        "hello from \"", h.unit(), "\" signs a nonce issued to \"", it->second.unit, "\""));
  }
  nonces_.erase(it);
  return absl::OkStatus();
}

}  // namespace rectsync::node
