#include "node/store/head_table.h"

#include "absl/strings/str_cat.h"
#include "aggregator/unit_id.h"
#include "node/record/keys.h"
#include "node/store/store.h"

namespace rectsync::store {

std::string FrontierDigest::EntryHash(absl::string_view origin, uint64_t seq, absl::string_view head) {
  if (seq == 0) return "";
  return record::Blake2b256(absl::StrCat("rectsync.frontier.v1", absl::string_view("\0", 1), origin,
                                         absl::string_view("\0", 1), EncodeU64(seq), head));
}

void FrontierDigest::Toggle(absl::string_view hash) {
  for (size_t i = 0; i < hash.size() && i < kSize; ++i) bytes_[i] = static_cast<char>(bytes_[i] ^ hash[i]);
}

void HeadTable::Reset(const Heads& heads) {
  std::lock_guard<std::mutex> lock(mu_);
  heads_.clear();
  by_version_.clear();
  digests_.clear();
  version_ = 0;
  for (const auto& [origin, head] : heads) {
    heads_[origin] = Entry{head, 0};
    const std::string hash = FrontierDigest::EntryHash(origin, head.seq, head.id);
    for (const std::string& unit : aggregator::SelfAndAncestors(origin)) digests_[unit].Toggle(hash);
  }
}

void HeadTable::Move(const std::map<std::string, Head>& moved) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [origin, head] : moved) MoveLocked(origin, head);
}

void HeadTable::MoveLocked(const std::string& origin, const Head& to) {
  Entry& e = heads_[origin];
  // Out with the old entry, in with the new: one hash each, whatever the depth.
  const std::string out = FrontierDigest::EntryHash(origin, e.head.seq, e.head.id);
  const std::string in = FrontierDigest::EntryHash(origin, to.seq, to.id);
  for (const std::string& unit : aggregator::SelfAndAncestors(origin)) {
    digests_[unit].Toggle(out);
    digests_[unit].Toggle(in);
  }
  if (e.version != 0) by_version_.erase(e.version);
  e.head = to;
  e.version = ++version_;
  by_version_[e.version] = origin;
}

Head HeadTable::Get(const std::string& origin) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = heads_.find(origin);
  return it == heads_.end() ? Head{} : it->second.head;
}

HeadTable::Heads HeadTable::All() const {
  std::lock_guard<std::mutex> lock(mu_);
  Heads out;
  out.reserve(heads_.size());
  for (const auto& [origin, e] : heads_) out.emplace_back(origin, e.head);
  return out;
}

HeadTable::Heads HeadTable::Under(const std::string& unit) const {
  std::lock_guard<std::mutex> lock(mu_);
  Heads out;
  if (auto own = heads_.find(unit); own != heads_.end() && own->second.head.seq > 0) {
    out.emplace_back(unit, own->second.head);
  }
  const std::string prefix = absl::StrCat(unit, "/");
  for (auto it = heads_.lower_bound(prefix); it != heads_.end() && it->first.compare(0, prefix.size(), prefix) == 0;
       ++it) {
    out.emplace_back(it->first, it->second.head);
  }
  return out;
}

FrontierDigest HeadTable::DigestUnder(const std::string& unit) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = digests_.find(unit);
  return it == digests_.end() ? FrontierDigest() : it->second;
}

uint64_t HeadTable::version() const {
  std::lock_guard<std::mutex> lock(mu_);
  return version_;
}

HeadTable::Heads HeadTable::MovedSince(uint64_t version, const std::string& unit) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, Head> moved;
  for (auto it = by_version_.upper_bound(version); it != by_version_.end(); ++it) {
    if (aggregator::InSubtree(it->second, unit)) moved[it->second] = heads_.at(it->second).head;
  }
  return Heads(moved.begin(), moved.end());
}

}  // namespace rectsync::store
