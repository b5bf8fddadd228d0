// Ed25519 identities (libsodium). A KeyPair owns a node's secret key; the
// key file holds the 32-byte seed, mode 0600, written atomically.
#ifndef RECTSYNC_NODE_RECORD_KEYS_H_
#define RECTSYNC_NODE_RECORD_KEYS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rectsync::record {

inline constexpr size_t kPublicKeySize = 32;
inline constexpr size_t kSignatureSize = 64;
inline constexpr size_t kIdSize = 32;

// Must be called once before any other function here (idempotent, thread-safe).
absl::Status InitCrypto();

class KeyPair {
 public:
  static KeyPair Generate();
  static absl::StatusOr<KeyPair> FromSeed(absl::string_view seed);
  // Reads a key file; FailedPrecondition if it is readable by others.
  static absl::StatusOr<KeyPair> Load(const std::string& path);
  // Writes the seed to `path` with mode 0600; AlreadyExists if present.
  absl::Status Save(const std::string& path) const;

  const std::string& public_key() const { return public_key_; }
  // Ed25519 signature of `message` (64 bytes).
  std::string Sign(absl::string_view message) const;

 private:
  std::string seed_;        // 32 bytes
  std::string secret_key_;  // 64 bytes (libsodium layout)
  std::string public_key_;  // 32 bytes
};

bool VerifySignature(absl::string_view public_key, absl::string_view message,
                     absl::string_view signature);

// BLAKE2b-256.
std::string Blake2b256(absl::string_view data);

std::string ToHex(absl::string_view bytes);
absl::StatusOr<std::string> FromHex(absl::string_view hex, absl::string_view field);

}  // namespace rectsync::record

#endif  // RECTSYNC_NODE_RECORD_KEYS_H_
