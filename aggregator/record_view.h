// A record as the pure core sees it: its id and its parsed body. Signature
// and chain checks happen before a record becomes a DecodedRecord.
#ifndef RECTSYNC_AGGREGATOR_RECORD_VIEW_H_
#define RECTSYNC_AGGREGATOR_RECORD_VIEW_H_

#include <string>
#include <tuple>

#include "rectsync/v1/record.pb.h"
#include "rectsync/v1/state.pb.h"

namespace rectsync::aggregator {

namespace v1 = ::rectsync::v1;

struct DecodedRecord {
  std::string id;       // BLAKE2b-256 of the envelope, 32 bytes
  v1::RecordBody body;
};

// Fold order (DESIGN §4): (hlc, origin, seq).
inline std::tuple<uint64_t, const std::string&, uint64_t> OrderOf(const v1::FoldKey& k) {
  return {k.hlc(), k.origin(), k.seq()};
}
inline bool FoldLess(const v1::FoldKey& a, const v1::FoldKey& b) {
  return OrderOf(a) < OrderOf(b);
}
v1::FoldKey KeyOf(const v1::RecordBody& body);
v1::RecordRef RefOf(const DecodedRecord& r);

// The problem a record is about, or "" (enrolments, inspections, figures,
// attestations).
const std::string& ProblemOf(const v1::RecordBody& body);

// Short English name of the record's event ("ProblemRaised", ...).
const char* EventName(const v1::RecordBody& body);

}  // namespace rectsync::aggregator

#endif  // RECTSYNC_AGGREGATOR_RECORD_VIEW_H_
