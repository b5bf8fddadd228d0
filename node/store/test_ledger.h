// Test helper (header-only): real signed, hash-chained records for store and
// node tests. Drafts come from aggregator/test_records.h (fake ids and prev);
// SignedLedger re-chains each onto its origin's head and signs it with that
// origin's key, so the result passes Open, CheckLink and signature checks.
// Not thread-safe. record::InitCrypto() must have been called.
#ifndef RECTSYNC_NODE_STORE_TEST_LEDGER_H_
#define RECTSYNC_NODE_STORE_TEST_LEDGER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "aggregator/test_records.h"
#include "gtest/gtest.h"
#include "node/record/codec.h"
#include "node/store/store.h"

namespace rectsync::store::testing {

class SignedLedger {
 public:
  // The key of `origin`, generated on first use. Copies of a ledger share keys.
  const record::KeyPair& KeyOf(const std::string& origin) {
    auto it = keys_.find(origin);
    if (it == keys_.end()) {
      it = keys_.emplace(origin, std::make_shared<record::KeyPair>(record::KeyPair::Generate()))
               .first;
    }
    return *it->second;
  }

  // A draft header for `origin` at `hlc` (seq and prev are set by Seal).
  aggregator::DecodedRecord Draft(const std::string& origin, uint64_t hlc) const {
    return aggregator::testing::Header(origin, 1, hlc);
  }

  // Seals `draft` as the next record of its origin and advances the head.
  StoredRecord Seal(aggregator::DecodedRecord draft) {
    Head& head = heads_[draft.body.origin()];
    StoredRecord rec = SealAs(std::move(draft), head.seq + 1, head.id);
    head = Head{rec.decoded.body.seq(), rec.decoded.id, rec.decoded.body.hlc()};
    return rec;
  }

  // Seals `draft` with the given seq and prev, leaving the head alone (for
  // gaps, forks and replays).
  StoredRecord SealAs(aggregator::DecodedRecord draft, uint64_t seq, const std::string& prev) {
    draft.body.set_seq(seq);
    draft.body.set_prev(prev);
    StoredRecord rec;
    rec.envelope = record::Seal(draft.body, KeyOf(draft.body.origin()));
    absl::StatusOr<aggregator::DecodedRecord> opened = record::Open(rec.envelope);
    if (!opened.ok()) {
      ADD_FAILURE() << "test record does not open: " << opened.status() << "\n"
                    << draft.body.DebugString();
      return rec;
    }
    rec.decoded = std::move(*opened);
    return rec;
  }

  const Head& HeadOf(const std::string& origin) { return heads_[origin]; }

 private:
  std::map<std::string, std::shared_ptr<record::KeyPair>> keys_;
  std::map<std::string, Head> heads_;
};

}  // namespace rectsync::store::testing

#endif  // RECTSYNC_NODE_STORE_TEST_LEDGER_H_
