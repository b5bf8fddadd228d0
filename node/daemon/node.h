// Node: one unit's ledger. Owns the store, the key and the trust store, and
// turns officers' requests into signed records (DESIGN §3, §5, §6). This is
// the I/O shell around the pure core: it validates, stamps, signs, persists,
// and answers queries from derived state.
//
// Thread-safety: all methods are safe to call concurrently; writes are
// serialised on one lock. Errors: InvalidArgument (a field is bad; the
// message names it), NotFound (unknown id), FailedPrecondition (the write
// would break an authority rule or the node is not initialised),
// Unavailable (storage I/O).
#ifndef RECTSYNC_NODE_DAEMON_NODE_H_
#define RECTSYNC_NODE_DAEMON_NODE_H_

#include <chrono>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "node/daemon/clock.h"
#include "node/daemon/config.h"
#include "node/record/keys.h"
#include "node/record/trust.h"
#include "node/store/store.h"
#include "rectsync/v1/admin.pb.h"
#include "rectsync/v1/bundle.pb.h"
#include "rectsync/v1/sync.pb.h"

namespace rectsync::node {

namespace v1 = ::rectsync::v1;

// The largest ledger file the admin service takes (its gRPC receive limit).
inline constexpr int kMaxLedgerFileBytes = 32 << 20;
// The largest bundle file `bundle import` takes (a year of a township's
// records is a few MB).
inline constexpr int kMaxBundleFileBytes = 256 << 20;
// The admin service's gRPC receive limit: the largest request above.
inline constexpr int kMaxAdminRequestBytes = kMaxBundleFileBytes + (1 << 20);

struct RootInit {
  std::string unit;
  std::string name;
  v1::Level level = v1::LEVEL_CITY;
  std::string author;
};

class Node {
 public:
  // Creates DIR/node.key (0600) if absent; returns the public key.
  static absl::StatusOr<std::string> KeyGen(const std::string& data_dir);
  // Creates DIR/node.key.next (0600) if absent, the key a rotation moves
  // to; returns its public key. The node takes it over by itself once it
  // holds an enrolment of its unit for that key (node_keys.cc).
  static absl::StatusOr<std::string> KeyGenNext(const std::string& data_dir);
  // Initialises DIR as the root of a hierarchy: its key is the trust anchor,
  // and its first record is its own enrolment.
  static absl::Status InitRoot(const std::string& data_dir, const RootInit& init);
  // Initialises DIR from the enrolment bundle a parent issued for this node's key.
  static absl::Status InitFromBundle(const std::string& data_dir,
                                     const v1::EnrollmentBundle& bundle);

  static absl::StatusOr<std::unique_ptr<Node>> Open(const NodeOptions& options,
                                                    Clock* clock = SystemClock::Get());
  // Open, waiting up to `wait` while another process holds the store (another
  // `rectsync` command, or a daemon starting or stopping) instead of failing
  // at once. `waiting` runs once, when the wait has lasted a second. Before
  // each retry `stop` runs (if set): true ends the wait with a Cancelled
  // status (the CLI stops when a daemon starts answering). When the wait runs
  // out the error is DeadlineExceeded and names the node and how long it waited.
  static absl::StatusOr<std::unique_ptr<Node>> OpenWaiting(const NodeOptions& options,
                                                           std::chrono::milliseconds wait,
                                                           const std::function<void()>& waiting = {},
                                                           const std::function<bool()>& stop = {});
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Appends one local record: `body` carries author and event; origin, seq,
  // prev and hlc are assigned here, and empty ids the event creates are
  // generated ("<unit>:P<seq>").
  absl::StatusOr<v1::AppendReply> Append(v1::RecordBody body);
  // Appends several local records atomically: all or none (the error names
  // the failing record by its position). Later records may refer to
  // problems raised earlier in the same call. For ledger import.
  absl::StatusOr<std::vector<v1::AppendReply>> AppendAll(std::vector<v1::RecordBody> bodies);
  // Checks a ledger file (CSV or .xlsx) whole and, unless it is a dry run
  // or the file has errors or refused problems (and !skip_refused), records
  // it as this node's records atomically, ids planned from the head under
  // the write lock (node_ledger.cc). The reply lists every finding; an
  // error status only when the records themselves fail (naming the line).
  absl::StatusOr<v1::ImportLedgerReply> ImportLedger(const v1::ImportLedgerRequest& request);
  // Every problem of request.inspection_id() (or of the subtree) with its
  // history, for a 通报. NotFound for an unknown inspection.
  absl::StatusOr<v1::ReportReply> Report(const v1::ReportRequest& request) const;
  // Enrols a child unit and returns the bundle to hand to it.
  absl::StatusOr<v1::EnrollmentBundle> Enroll(const v1::EnrollRequest& request);

  absl::StatusOr<v1::ProblemDetail> GetProblem(const std::string& id) const;
  absl::StatusOr<v1::ListProblemsReply> ListProblems(const v1::ListProblemsRequest& request) const;
  absl::StatusOr<v1::Summary> GetSummary(const v1::SummaryRequest& request) const;
  // Re-checks every chain link and signature in the store.
  absl::StatusOr<v1::VerifyReply> Verify() const;
  absl::StatusOr<v1::IdentityReply> Identity() const;

  // --- Sync (DESIGN §5, §7; node_sync.cc; pulls in node_pull.cc, pushes in node_ingest.cc). ---

  // A fresh nonce for `unit`'s next call to this node (Sync/Query
  // Challenge); single use, lapses after a minute (node_hello.cc).
  absl::StatusOr<v1::ChallengeReply> Challenge(const std::string& unit);
  // A hello signed by this node, addressed to `parent`, over the `nonce`
  // that `parent` issued for this call.
  v1::Hello MakeHello(const std::string& parent, const std::string& nonce) const;
  // OK iff `hello` is addressed to this node, comes from a unit strictly
  // below it, and passes CheckCaller. Unauthenticated / PermissionDenied /
  // FailedPrecondition naming why otherwise.
  absl::Status CheckHello(const v1::Hello& hello);
  // What this node holds of `child`'s subtree: the whole frontier, or only
  // frontier_unchanged when `believed_digest` (the child's digest of what it
  // believes is held here) matches, so an idle heartbeat costs O(1).
  absl::StatusOr<v1::HandshakeReply> Handshake(const std::string& child,
                                               const std::string& believed_digest = "");
  // Remembers the public address a child advertised in its hello (for live
  // queries).
  void NoteAdvertised(const v1::Hello& hello);
  // Verifies and durably stores one pushed batch (consecutive records of one
  // origin in `pusher`'s subtree) and answers with a signed receipt, or with
  // the refusal: nothing of a refused batch is stored. A validly signed
  // record conflicting with a held one is kept as a fork and freezes its
  // origin. At the first hop (the origin pushes its own records) every
  // signature is checked, off the write lock, and the signing enrolment
  // must not be past its expiry plus the grace; a relayed batch is checked
  // through its chain, its last signature vouching for every byte before it.
  v1::PushReply IngestPush(const std::string& pusher, const v1::PushBatch& batch);

  // --- Fork proofs (node_forks.cc). ---

  // Proofs of the forks this node holds whose (origin, seq) `want` accepts
  // (all without it).
  absl::StatusOr<std::vector<v1::ForkProof>> ForkProofs(
      const std::function<bool(const std::string& origin, uint64_t seq)>& want = nullptr) const;
  // (origin, seq) of every fork this node holds proof of.
  absl::StatusOr<std::vector<v1::FrontierEntry>> KnownForks() const;
  enum class ForkSource { kChild, kParent };
  // Verifies fork proofs reported by a child (origins in its subtree) or
  // pulled from the parent (origins on this node's path or below it), all
  // before storing any, and keeps them: each freezes its origin here.
  // Returns how many were new. InvalidArgument / PermissionDenied /
  // Unauthenticated naming the proof and why.
  absl::StatusOr<uint32_t> IngestForkProofs(
      const std::string& peer, ForkSource source,
      const google::protobuf::RepeatedPtrField<v1::ForkProof>& proofs);
  // Records outside `child`'s subtree that concern it, after `request`'s
  // cursor; waits up to request.wait_ms() for news when there is none.
  // `cancelled` is polled while waiting, so that a closing call or server
  // does not hold the wait to its end.
  absl::StatusOr<std::vector<v1::PullBatch>> CollectPull(
      const std::string& child, const v1::PullRequest& request,
      const std::function<bool()>& cancelled = nullptr);
  // Child side: verifies and stores a batch pulled from the parent, with the
  // new pull cursor, atomically; `stored` (if set) gets how many records
  // were new.
  absl::Status IngestPull(const std::string& parent, const v1::PullBatch& batch,
                          uint32_t* stored = nullptr);
  // Restore (child side): stores a chunk of this node's own subtree from
  // the parent's copy, verified like a push from below.
  absl::Status IngestRestored(const v1::PullBatch& batch);
  // This node's pull cursor: origin -> highest seq scanned at the parent.
  absl::StatusOr<std::vector<v1::FrontierEntry>> PullCursor() const;
  // Signs a receipt: this node holds `origin` up to `head`, at `now_ms`.
  // CheckReceipt verifies one against a current key of `parent`.
  v1::SignedReceipt SignReceipt(const std::string& origin, const store::Head& head, int64_t now_ms) const;
  absl::StatusOr<v1::Receipt> CheckReceipt(const std::string& parent,
                                           const v1::SignedReceipt& signed_receipt);
  // Link bookkeeping in the peers column family ("link/<direction>/<peer>").
  void UpdateLink(const std::string& direction, const std::string& peer,
                  const std::function<void(v1::LinkStatus*)>& update);
  absl::StatusOr<v1::SyncStatusReply> SyncStatus() const;

  // --- Keys (node_keys.cc). ---

  // At a unit above `request.unit()`: enrols its new key and revokes the
  // keys it had from old_until, in one atomic append; returns the
  // enrolment file for the unit (as Enroll does). FailedPrecondition if the
  // unit is not enrolled here or the key is already one of its keys.
  absl::StatusOr<v1::EnrollmentBundle> RotateKey(const v1::RotateKeyRequest& request);
  // At a unit above `request.unit()`: revokes one of its keys (or all of
  // them) from `from_ms`, one KeyRevoked record per key.
  absl::StatusOr<v1::AppendBatchReply> RevokeKey(const v1::RevokeKeyRequest& request);
  // Key history: every enrolment held of `unit` (or of this node's unit and
  // the units below it), with expiry and revocation.
  absl::StatusOr<v1::KeysReply> Keys(const v1::KeysRequest& request) const;

  // --- Offline bundles (bundle.proto; node_bundle.cc). ---

  // Upward (request.for_unit() empty): a bundle to this node's parent of
  // every batch it has not receipted (all of them with request.all()), the
  // subtree's fork proofs and the pull cursor. Downward (for_unit a unit
  // below): receipts at the held heads of that unit's subtree and the
  // records from outside it that concern it, after the cursor its last
  // upward bundle carried. Signed by this node's key.
  absl::StatusOr<v1::ExportBundleReply> ExportBundle(const v1::ExportBundleRequest& request);
  // Checks a bundle file whole (header, length, signature by the sender's
  // enrolled key, addressee) before storing anything of it, then ingests
  // it: an upward bundle's batches exactly as pushed ones (IngestPush) and
  // answered by a downward bundle; a downward bundle's records exactly as
  // pulled ones and its receipts as a push's. InvalidArgument / DataLoss
  // (truncated, damaged, not a bundle), FailedPrecondition (addressed to
  // another unit), PermissionDenied / Unauthenticated (sender not trusted,
  // signature does not verify), each naming what is wrong.
  absl::StatusOr<v1::ImportBundleReply> ImportBundle(const std::string& file);

  // --- Reconciliation (DESIGN §8; node_reconcile.cc). ---

  // Appends a SummaryAttested of this node's subtree at its current
  // frontier, unless the counters are unchanged since the last one.
  // Returns whether it appended.
  // `summary_only`: for a summary-only uplink (the parent answers from it).
  absl::StatusOr<bool> Attest(const std::string& author, bool summary_only = false);
  // Parent side of a summary-only uplink: verifies and stores one
  // SummaryAttested from `pusher`'s subtree (held sparsely, no chain).
  absl::Status IngestAttestation(const std::string& pusher, const v1::Record& record);
  // The latest SummaryAttested this node wrote about itself, if any.
  absl::StatusOr<std::optional<v1::Record>> LatestOwnAttestation() const;
  // Recomputes every attestation held for `unit`'s subtree at its frontier,
  // checks reported figures against the ledger and parts against totals.
  absl::StatusOr<v1::ReconcileReply> Reconcile(const v1::ReconcileRequest& request) const;
  // The whole frontier an attestation states: its entries over those of its
  // frontier_base, and so on back to one that states them all. nullopt when
  // a base is not held here; DataLoss when a base is not an earlier
  // attestation of the same unit.
  absl::StatusOr<std::optional<std::vector<v1::FrontierEntry>>> AttestedFrontier(
      const record::DecodedRecord& attestation) const;
  // OK iff `hello` is addressed to this node, recent, signed by a current
  // enrolled key of its unit (FailedPrecondition naming the expiry and the
  // way out if the enrolment expired), over a nonce this node issued to
  // that unit and that no call has taken yet (it is taken now). For every
  // call on the public port.
  absl::Status CheckCaller(const v1::Hello& hello);

  // Change notification: a counter bumped after every stored write, and a
  // wait for it to move past `seen`. Returns the counter.
  uint64_t changes() const;
  uint64_t WaitForChange(uint64_t seen, std::chrono::milliseconds timeout) const;
  int64_t NowMillis() const { return clock_.wall()->NowMillis(); }

  const std::string& unit() const { return unit_; }
  store::Store* store() const { return store_.get(); }
  const NodeOptions& options() const { return options_; }
  std::string Today() const;

 private:
  Node(NodeOptions options, Clock* clock);
  absl::Status CheckKnownIds(const v1::RecordBody& body) const;
  // The unit this node syncs with above it ("" at the root).
  std::string ParentUnit() const;
  // The key this node signs with (swapped by a rotation; safe to call from
  // any thread).
  std::shared_ptr<const record::KeyPair> Key() const { return std::atomic_load(&key_); }
  // If node.key.next waits and this node now holds an enrolment of its unit
  // for it, makes it node.key (the old one kept as node.key.retired-<ms>)
  // and signs with it from now on. Under write_mu_.
  void TakeNextKeyLocked();
  // KeyInfo of each enrolment of `unit` held.
  void AddKeyInfo(const std::string& unit, std::vector<v1::KeyInfo>* out) const;
  // Bundle parts (node_bundle.cc).
  absl::StatusOr<v1::BundleBody> BundleUp(bool all);
  absl::StatusOr<v1::BundleBody> BundleDown(const std::string& child, v1::PullRequest cursor);
  absl::StatusOr<v1::ExportBundleReply> SealBundle(const v1::BundleBody& body) const;
  absl::StatusOr<v1::BundleBody> OpenBundle(const std::string& file);
  absl::Status ImportUp(const v1::BundleBody& body, v1::ImportBundleReply* reply);
  absl::Status ImportDown(const v1::BundleBody& body, v1::ImportBundleReply* reply);
  absl::Status LoadTrust();
  absl::StatusOr<v1::AppendReply> AppendLocked(v1::RecordBody body);
  absl::StatusOr<std::vector<v1::AppendReply>> AppendAllLocked(std::vector<v1::RecordBody> bodies);
  // How a chain of records reached this node (see IngestPush).
  enum class Hop { kFirst, kRelay, kRestore };
  // At the first hop: the public key that verified each record of `recs`
  // past the origin's head ("" for those at or below it). Off the lock.
  absl::StatusOr<std::vector<std::string>> VerifySigners(
      const std::vector<store::StoredRecord>& recs) const;
  absl::StatusOr<v1::PushReply> IngestChainLocked(const std::string& pusher,
                                                  std::vector<store::StoredRecord> recs, Hop hop,
                                                  const std::vector<std::string>& signers,
                                                  bool* forked);
  void NotifyChange();
  // Clock observation of received records: flags those too far ahead.
  void ObserveReceived(const record::DecodedRecord& r, store::Store::AppendExtras* extras);

  const NodeOptions options_;
  HybridClock clock_;
  std::unique_ptr<store::Store> store_;
  std::shared_ptr<const record::KeyPair> key_;          // Key(); replaced atomically
  std::shared_ptr<const record::KeyPair> next_key_;     // node.key.next, guarded by write_mu_
  std::string unit_;
  mutable std::mutex write_mu_;
  record::TrustStore trust_;  // guarded by write_mu_
  // This node's last attestation since it opened (guarded by write_mu_):
  // the next one lists only the heads moved since `version` over it.
  struct Attested {
    uint64_t base_seq = 0;  // 0: none yet; the next states its whole frontier
    uint64_t version = 0;   // HeadTable::version() when it was built
    int deltas = 0;         // attestations since the last whole frontier
  } attested_;

  mutable std::mutex change_mu_;
  mutable std::condition_variable change_cv_;
  uint64_t changes_ = 0;  // guarded by change_mu_
  std::mutex link_mu_;    // serialises UpdateLink's read-modify-write

  struct IssuedNonce {
    std::string unit;
    int64_t expires_ms = 0;
  };
  std::mutex nonce_mu_;
  std::map<std::string, IssuedNonce> nonces_;                  // guarded by nonce_mu_
  std::deque<std::pair<int64_t, std::string>> nonce_order_;    // guarded by nonce_mu_
};

// Does `body`, from an origin outside `subtree`, concern `subtree`: an
// enrolment or inspection on its path, a figure for a unit in it, or a
// record about a problem whose responsible unit lies in it. `cache`, if set,
// remembers the answer per problem across calls (one state read per problem
// instead of one per record) and counts the state reads.
// Appends `heads` to `out` as frontier entries (origin, seq, head id).
void AddFrontier(const store::HeadTable::Heads& heads,
                 google::protobuf::RepeatedPtrField<v1::FrontierEntry>* out);

struct ConcernsCache {
  std::map<std::string, bool> problems;
  uint64_t reads = 0;
};
absl::StatusOr<bool> RecordConcerns(const store::Store& store, const v1::RecordBody& body,
                                    const std::string& subtree, ConcernsCache* cache = nullptr);

}  // namespace rectsync::node

#endif  // RECTSYNC_NODE_DAEMON_NODE_H_
