// SyncClient: a child's link to its parent (DESIGN §7). Two loops, each on
// its own thread:
//   push — handshake for the parent's frontier of this subtree, then stream
//          what the parent lacks, one origin per batch; advance only on the
//          parent's signed receipts, which are kept. Woken at once by any
//          local write or ingest, otherwise a heartbeat every push_interval.
//   pull — long-poll the parent for records from outside this subtree that
//          concern it (enrolments, problems raised against its units,
//          reviews, closures, reopenings, amendments).
// Failures retry with capped exponential backoff and full jitter; offline is
// normal and costs only the missing records. Thread-safe; Stop() joins.
#ifndef RECTSYNC_NODE_SYNC_SYNC_CLIENT_H_
#define RECTSYNC_NODE_SYNC_SYNC_CLIENT_H_

#include <atomic>
#include <map>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "node/daemon/node.h"
#include "rectsync/v1/sync.grpc.pb.h"

namespace rectsync::sync {

class SyncClient {
 public:
  // Node must outlive the client. options.parent must be set.
  static absl::StatusOr<std::unique_ptr<SyncClient>> Create(node::Node* node);
  // The failover link (options.failover, DESIGN §7): the same rounds with
  // the next upstream, run only while `primary` has had no successful round
  // for options.failover_after_ms. `primary` must outlive it.
  static absl::StatusOr<std::unique_ptr<SyncClient>> CreateFailover(node::Node* node, const SyncClient* primary);

  // How long this link has gone without a successful round (counted from
  // Start when there has been none).
  int64_t UnreachableForMs() const;
  ~SyncClient();
  SyncClient(const SyncClient&) = delete;
  SyncClient& operator=(const SyncClient&) = delete;

  void Start();
  void Stop();

  // One push round: handshake, then push everything the parent lacks.
  // Returns the first transport error; refusals of single batches are
  // recorded in the link status and do not fail the round.
  absl::Status PushOnce();
  // Summary-only uplink: attests this subtree if its summary changed and
  // sends the latest attestation the parent has not acknowledged.
  absl::Status AttestOnce();
  // One pull round (long-polls up to `wait_ms`).
  absl::Status PullOnce(int64_t wait_ms);

  // Rebuilds a freshly initialised node from its parent's copy (DESIGN §6:
  // a lost disk): first the records from outside the subtree that concern
  // it (so every enrolment of its units, older keys included, is known),
  // then every record of every origin in its subtree. Returns the number of
  // records restored. Call before Start().
  absl::StatusOr<uint64_t> RestoreFromParent();

 private:
  SyncClient(node::Node* node, std::shared_ptr<grpc::Channel> channel, std::string address, std::string parent,
             const SyncClient* primary);
  // True when this link should run a round now: always for the parent
  // link; for the failover link, while the parent is unreachable.
  bool Active() const;
  // Fetches the records of units below this node that the parent holds
  // more of (`behind`: origin -> the seq held here), as their children
  // pushed them there while this node was down.
  absl::Status CatchUp(const std::map<std::string, uint64_t>& behind);
  // One Restore call: stores every batch it streams; the records taken.
  absl::StatusOr<uint64_t> ReadRestore(const v1::RestoreRequest& req, int64_t timeout_ms, absl::string_view what);
  // The push round (sync_client_push.cc): what to push, from the parent's
  // frontier (`checked`: its entries were checked against this node's
  // records before, so no fork check), and the one stream that pushes it.
  struct PushWork {
    std::string origin;
    uint64_t from;
    uint64_t to;
  };
  struct PushPlan {
    std::vector<PushWork> work;
    std::map<std::string, uint64_t> behind;  // origin -> seq held here, where the parent holds more
    bool amiss = false;                      // a fork, or the parent ahead or behind
  };
  absl::StatusOr<PushPlan> Plan(const std::map<std::string, uint64_t>& frozen, bool checked);
  // Streams `work` and keeps each receipt; the number of origins refused.
  absl::StatusOr<size_t> Stream(const std::vector<PushWork>& work);
  void PushLoop();
  void PullLoop();  // sync_client_pull.cc, with PullOnce and the Restore calls
  // `s` as an absl status, its message prefixed with `what`.
  static absl::Status Annotate(const grpc::Status& s, absl::string_view what);
  // Sleeps up to `ms` or until Stop(). Returns false when stopping.
  bool Sleep(int64_t ms);
  int64_t Backoff(int failures);
  std::unique_ptr<grpc::ClientContext> NewContext(int64_t timeout_ms);
  void NoteResult(const absl::Status& s);

  node::Node* node_;
  const node::NodeOptions& options_;
  const std::string address_;
  const std::string parent_;
  const SyncClient* const primary_;  // null for the parent link
  std::atomic<int64_t> started_ms_{0};
  std::atomic<int64_t> last_success_ms_{0};
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Sync::Stub> stub_;

  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  grpc::ClientContext* pull_ctx_ = nullptr;  // guarded by mu_; cancelled by Stop()
  std::mt19937_64 rng_;                      // guarded by mu_
  int64_t last_attest_ms_ = 0;                // push thread only
  // The parent's hint after a batch it could not store (its disk full):
  // the push loop waits at least this long before the next round.
  std::atomic<int64_t> retry_after_ms_{0};
  uint64_t attested_sent_seq_ = 0;            // push thread only
  std::map<std::string, uint64_t> relayed_;   // push thread only: attestations sent up
  // push thread only: Store::summary_only_version() at the last full relay.
  std::optional<uint64_t> relayed_version_;
  // What this node believes the parent holds of its subtree (push thread
  // only): the parent's last full frontier, moved by each receipt since.
  // Valid after a round that found nothing amiss; then its digest goes in
  // the next handshake, and an idle heartbeat is answered with a digest.
  struct Believed {
    std::map<std::string, store::Head> heads;
    store::FrontierDigest digest;
    bool valid = false;
    void Reset(const google::protobuf::RepeatedPtrField<v1::FrontierEntry>& frontier);
    void Move(const std::string& origin, const store::Head& to);
  } believed_;
  std::map<std::string, uint64_t> receipted_; // push thread only: origin -> seq of the receipt held
  // The seq of the parent's latest receipt held for `origin` (0: none).
  absl::StatusOr<uint64_t> Receipted(const std::string& origin);
  absl::Status RelayAttestations();
  // A hello for one call to the parent, over a nonce it issued (Challenge).
  absl::StatusOr<v1::Hello> Hello();
  // Reports the fork proofs of this subtree that the parent lacks
  // (`parent_frozen`: origin -> seq the parent shows frozen, from the
  // handshake), so that the freeze travels up.
  absl::Status ReportForks(const std::map<std::string, uint64_t>& parent_frozen);
  std::thread push_thread_;
  std::thread pull_thread_;
};

}  // namespace rectsync::sync

#endif  // RECTSYNC_NODE_SYNC_SYNC_CLIENT_H_
