// Node's keys (DESIGN §5): rotation and revocation, written by a unit above
// the one whose key changes, and the unit's own switch to its next key.
//
// A rotation is two records in one append: an enrolment of the new key and
// a revocation of the old one from a stated time, so the chain continues
// under the new key and the old key stops being accepted at that time
// everywhere the revocation reaches. A revocation alone (a stolen laptop)
// stops a key from its stated time; records signed with it before that time
// stay valid. Both are trust records: they flow down to every node whose
// subtree they concern and up with the writer's log, and every node's trust
// store applies them (node/record/trust.h).
#include <cstdio>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "aggregator/status_macros.h"
#include "aggregator/unit_id.h"
#include "node/daemon/node.h"
#include "node/store/durable_file.h"

namespace rectsync::node {
namespace {

constexpr int64_t kDefaultRotationOverlapMs = 24LL * 3600 * 1000;

std::string NextKeyPath(const NodeOptions& o) { return o.KeyPath() + ".next"; }

absl::Status CheckBelow(const std::string& unit, const std::string& me) {
  RETURN_IF_ERROR(aggregator::ValidateUnitId(unit, "unit"));
  if (!aggregator::StrictlyBelow(unit, me)) {
    return absl::InvalidArgumentError(absl::StrCat("unit: \"", unit, "\" is not below this node (\"", me,
                                                   "\"); only a unit above may change its keys"));
  }
  return absl::OkStatus();
}

v1::RecordBody Revocation(const std::string& author, const std::string& unit, const std::string& public_key,
                          int64_t from_ms, const std::string& reason) {
  v1::RecordBody body;
  body.set_author(author);
  v1::KeyRevoked* k = body.mutable_key_revoked();
  k->set_unit(unit);
  k->set_public_key(public_key);
  k->set_from_ms(from_ms);
  k->set_reason(reason);
  return body;
}

}  // namespace

absl::StatusOr<std::string> Node::KeyGenNext(const std::string& data_dir) {
  RETURN_IF_ERROR(record::InitCrypto());
  const std::string path = data_dir + "/node.key.next";
  if (std::filesystem::exists(path)) {
    ASSIGN_OR_RETURN(record::KeyPair key, record::KeyPair::Load(path));
    return key.public_key();
  }
  if (!std::filesystem::exists(data_dir + "/node.key")) {
    return absl::FailedPreconditionError(absl::StrCat(data_dir, " has no node.key: use `rectsync keygen`"));
  }
  record::KeyPair key = record::KeyPair::Generate();
  RETURN_IF_ERROR(key.Save(path));
  RETURN_IF_ERROR(store::SyncDirectory(data_dir));
  return key.public_key();
}

absl::StatusOr<v1::EnrollmentBundle> Node::RotateKey(const v1::RotateKeyRequest& req) {
  RETURN_IF_ERROR(CheckBelow(req.unit(), unit_));
  if (req.public_key().size() != record::kPublicKeySize) {
    return absl::InvalidArgumentError("public_key: must be 32 bytes (the hex `rectsync key next` prints)");
  }
  std::vector<record::Enrolment> held;
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    held = trust_.EnrolmentsOf(req.unit());
  }
  if (held.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("unit \"", req.unit(), "\" is not enrolled here: enrol it (rectsync enroll) instead"));
  }
  for (const record::Enrolment& e : held) {
    if (e.public_key == req.public_key()) {
      return absl::FailedPreconditionError(absl::StrCat("public_key: already a key of \"", req.unit(),
                                                        "\" (enrolled by ", e.enroller, ")"));
    }
  }
  const int64_t now = clock_.wall()->NowMillis();
  const int64_t old_until = req.old_until_ms() > 0 ? req.old_until_ms() : now + kDefaultRotationOverlapMs;
  if (old_until < now) {
    return absl::InvalidArgumentError(
        "old_until: in the past; to stop a key from an earlier time, revoke it (rectsync key revoke)");
  }
  const record::Enrolment& latest = held.back();
  std::vector<v1::RecordBody> bodies(1);
  bodies[0].set_author(req.author());
  v1::UnitEnrolled* e = bodies[0].mutable_unit_enrolled();
  e->set_unit(req.unit());
  e->set_name(latest.name);
  e->set_level(latest.level);
  e->set_public_key(req.public_key());
  e->set_valid_until_ms(latest.valid_until_ms > old_until ? latest.valid_until_ms : 0);
  std::set<std::string> revoking;
  for (const record::Enrolment& old : held) {
    if (old.revoked_from_ms != 0 && old.revoked_from_ms <= old_until) continue;
    if (!revoking.insert(old.public_key).second) continue;
    bodies.push_back(Revocation(req.author(), req.unit(), old.public_key, old_until,
                                req.reason().empty() ? "rotated (密钥轮换)"
                                                     : absl::StrCat("rotated (密钥轮换): ", req.reason())));
  }
  std::lock_guard<std::mutex> lock(write_mu_);
  ASSIGN_OR_RETURN(std::vector<v1::AppendReply> replies, AppendAllLocked(std::move(bodies)));
  ASSIGN_OR_RETURN(std::optional<std::string> bundle_bytes, store_->GetMeta("bundle"));
  v1::EnrollmentBundle bundle;
  if (!bundle_bytes || !bundle.ParseFromString(*bundle_bytes)) {
    return absl::DataLossError("this node's own enrolment bundle is missing");
  }
  ASSIGN_OR_RETURN(std::optional<v1::Record> env, store_->GetRecord(unit_, replies[0].seq()));
  if (!env) return absl::DataLossError("the new enrolment is not in the store after its append");
  *bundle.add_chain() = *env;
  return bundle;
}

absl::StatusOr<v1::AppendBatchReply> Node::RevokeKey(const v1::RevokeKeyRequest& req) {
  RETURN_IF_ERROR(CheckBelow(req.unit(), unit_));
  if (req.reason().empty()) {
    return absl::InvalidArgumentError("reason: say why the key is revoked (e.g. 笔记本电脑被盗)");
  }
  if (!req.public_key().empty() && req.public_key().size() != record::kPublicKeySize) {
    return absl::InvalidArgumentError("public_key: must be 32 bytes");
  }
  std::vector<record::Enrolment> held;
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    held = trust_.EnrolmentsOf(req.unit());
  }
  if (held.empty()) return absl::NotFoundError(absl::StrCat("unit \"", req.unit(), "\" is not enrolled here"));
  const int64_t from = req.from_ms() > 0 ? req.from_ms() : clock_.wall()->NowMillis();
  std::vector<v1::RecordBody> bodies;
  std::set<std::string> keys;
  for (const record::Enrolment& e : held) {
    if (!req.public_key().empty() && e.public_key != req.public_key()) continue;
    if (e.revoked_from_ms != 0 && e.revoked_from_ms <= from) continue;  // already stops earlier
    if (!keys.insert(e.public_key).second) continue;
    bodies.push_back(Revocation(req.author(), req.unit(), e.public_key, from, req.reason()));
  }
  if (bodies.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        req.public_key().empty() ? "every key" : "that key", " of \"", req.unit(),
        "\" is already revoked from that time or earlier", req.public_key().empty() ? "" : ", or is not one of its keys"));
  }
  std::lock_guard<std::mutex> lock(write_mu_);
  ASSIGN_OR_RETURN(std::vector<v1::AppendReply> replies, AppendAllLocked(std::move(bodies)));
  v1::AppendBatchReply out;
  for (v1::AppendReply& r : replies) *out.add_replies() = std::move(r);
  return out;
}

void Node::AddKeyInfo(const std::string& unit, std::vector<v1::KeyInfo>* out) const {
  const std::string mine = Key()->public_key();
  for (const record::Enrolment& e : trust_.EnrolmentsOf(unit)) {
    v1::KeyInfo k;
    k.set_unit(e.unit);
    k.set_public_key(e.public_key);
    k.set_valid_from_ms(e.valid_from_ms);
    k.set_valid_until_ms(e.valid_until_ms);
    k.set_enroller(e.enroller);
    k.set_revoked_from_ms(e.revoked_from_ms);
    k.set_revoked_by(e.revoked_by);
    k.set_revoke_reason(e.revoke_reason);
    k.set_in_use(unit == unit_ && e.public_key == mine);
    out->push_back(std::move(k));
  }
}

absl::StatusOr<v1::KeysReply> Node::Keys(const v1::KeysRequest& req) const {
  v1::KeysReply reply;
  std::vector<v1::KeyInfo> keys;
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    if (!req.unit().empty()) {
      RETURN_IF_ERROR(aggregator::ValidateUnitId(req.unit(), "unit"));
      if (trust_.EnrolmentsOf(req.unit()).empty()) {
        return absl::NotFoundError(absl::StrCat("unit \"", req.unit(), "\" is not enrolled here"));
      }
      AddKeyInfo(req.unit(), &keys);
    } else {
      for (const auto& [unit, enrolments] : trust_.all()) {
        if (aggregator::InSubtree(unit, unit_)) AddKeyInfo(unit, &keys);
      }
    }
    if (next_key_) reply.set_next_public_key(next_key_->public_key());
  }
  for (v1::KeyInfo& k : keys) *reply.add_keys() = std::move(k);
  return reply;
}

void Node::TakeNextKeyLocked() {
  if (!next_key_) {
    // `rectsync key next` may have written it while this daemon ran.
    const std::string path = NextKeyPath(options_);
    if (!std::filesystem::exists(path)) return;
    absl::StatusOr<record::KeyPair> next = record::KeyPair::Load(path);
    if (!next.ok()) {
      spdlog::error("key rotation: {}: {}", path, next.status().ToString());
      return;
    }
    next_key_ = std::make_shared<const record::KeyPair>(*std::move(next));
  }
  bool enrolled = false;
  for (const record::Enrolment& e : trust_.EnrolmentsOf(unit_)) enrolled = enrolled || e.public_key == next_key_->public_key();
  if (!enrolled) return;
  // Renames, not copies: a crash between them leaves node.key.next with the
  // old key retired and node.key absent, which Open repairs (below), or both
  // in place, which this repeats.
  const std::string key_path = options_.KeyPath();
  const std::string retired = absl::StrCat(key_path, ".retired-", clock_.wall()->NowMillis());
  if (std::rename(key_path.c_str(), retired.c_str()) != 0 ||
      std::rename(NextKeyPath(options_).c_str(), key_path.c_str()) != 0) {
    spdlog::error("key rotation: cannot move node.key.next into place; still signing with the old key");
    return;
  }
  if (absl::Status s = store::SyncDirectory(options_.data_dir); !s.ok()) {
    spdlog::warn("key rotation: {}", s.ToString());  // the renames stand; a crash may replay them
  }
  std::atomic_store(&key_, next_key_);
  next_key_.reset();
  spdlog::info("key rotation: {} now signs with its new key {} (old key kept as {})", unit_,
               record::ToHex(Key()->public_key()).substr(0, 16), retired);
}

}  // namespace rectsync::node
