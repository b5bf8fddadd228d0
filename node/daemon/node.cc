#include "node/daemon/node.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "aggregator/date.h"
#include "aggregator/fold.h"
#include "aggregator/status_macros.h"
#include "aggregator/unit_id.h"
#include "aggregator/validate.h"
#include "node/store/durable_file.h"

namespace rectsync::node {
namespace {

constexpr char kMetaUnit[] = "unit";
constexpr char kMetaRootKey[] = "root_public_key";
// Serialized EnrollmentBundle: this node's chain of enrolments from the root.
constexpr char kMetaBundle[] = "bundle";

absl::Status EnsureDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  ::chmod(dir.c_str(), 0700);
  return absl::OkStatus();
}

absl::Status RefuseIfInitialised(const std::string& data_dir) {
  if (std::filesystem::exists(data_dir + "/node.toml")) {
    return absl::AlreadyExistsError(absl::StrCat(data_dir, " is already an initialised node"));
  }
  return absl::OkStatus();
}

// The id an event creates, generated when the officer gave none.
std::string* CreatedId(v1::RecordBody* b) {
  switch (b->event_case()) {
    case v1::RecordBody::kProblemRaised: return b->mutable_problem_raised()->mutable_problem_id();
    case v1::RecordBody::kMeasureAdded: return b->mutable_measure_added()->mutable_measure_id();
    case v1::RecordBody::kInspectionOpened:
      return b->mutable_inspection_opened()->mutable_inspection_id();
    default: return nullptr;
  }
}

char IdLetter(const v1::RecordBody& b) {
  return b.has_problem_raised() ? 'P' : b.has_measure_added() ? 'M' : 'I';
}

}  // namespace

Node::Node(NodeOptions options, Clock* clock)
    : options_(std::move(options)), clock_(clock, options_.max_clock_skew_ms), trust_("") {}

absl::StatusOr<std::string> Node::KeyGen(const std::string& data_dir) {
  RETURN_IF_ERROR(record::InitCrypto());
  RETURN_IF_ERROR(EnsureDir(data_dir));
  const std::string path = data_dir + "/node.key";
  if (std::filesystem::exists(path)) {
    ASSIGN_OR_RETURN(record::KeyPair key, record::KeyPair::Load(path));
    return key.public_key();
  }
  record::KeyPair key = record::KeyPair::Generate();
  RETURN_IF_ERROR(key.Save(path));
  return key.public_key();
}

// A node's first state (meta and, for a root, its self-enrolment) is one
// atomic write; node.toml, which marks the node initialised, is written
// after it. A crash between the two leaves a store that `init` with the
// same arguments completes (`Resumable`) and any other init refuses.
absl::Status Node::InitRoot(const std::string& data_dir, const RootInit& init) {
  RETURN_IF_ERROR(aggregator::ValidateUnitId(init.unit, "unit"));
  if (init.name.empty()) return absl::InvalidArgumentError("name: must not be empty");
  RETURN_IF_ERROR(RefuseIfInitialised(data_dir));
  ASSIGN_OR_RETURN(std::string public_key, KeyGen(data_dir));
  NodeOptions options;
  options.data_dir = data_dir;
  options.unit = init.unit;
  ASSIGN_OR_RETURN(record::KeyPair key, record::KeyPair::Load(options.KeyPath()));
  {
    ASSIGN_OR_RETURN(auto store, store::Store::Open(options.DbPath()));
    ASSIGN_OR_RETURN(auto existing, store->GetMeta(kMetaUnit));
    if (existing) {
      ASSIGN_OR_RETURN(std::optional<std::string> root_key, store->GetMeta(kMetaRootKey));
      ASSIGN_OR_RETURN(std::optional<v1::Record> first, store->GetRecord(init.unit, 1));
      if (*existing != init.unit || root_key != public_key || !first) {
        return absl::AlreadyExistsError(absl::StrCat(data_dir, " already holds a store"));
      }
      return WriteConfig(options);  // an init interrupted before node.toml
    }
    v1::RecordBody body;
    body.set_author(init.author);
    body.set_origin(init.unit);
    body.set_seq(1);
    HybridClock clock(SystemClock::Get(), options.max_clock_skew_ms);
    body.set_hlc(clock.Now());
    auto* e = body.mutable_unit_enrolled();
    e->set_unit(init.unit);
    e->set_name(init.name);
    e->set_level(init.level);
    e->set_public_key(public_key);
    e->set_valid_from_ms(record::HlcMillis(body.hlc()));
    store::StoredRecord self;
    self.envelope = record::Seal(body, key);
    ASSIGN_OR_RETURN(self.decoded, record::Open(self.envelope));
    v1::EnrollmentBundle bundle;
    bundle.set_root_public_key(public_key);
    *bundle.add_chain() = self.envelope;
    store::Store::AppendExtras extras;
    extras.meta_puts = {{kMetaRootKey, public_key},
                        {kMetaBundle, bundle.SerializeAsString()},
                        {kMetaUnit, init.unit}};
    RETURN_IF_ERROR(store->Append({self}, nullptr, extras));
  }
  return WriteConfig(options);
}

absl::Status Node::InitFromBundle(const std::string& data_dir, const v1::EnrollmentBundle& bundle) {
  RETURN_IF_ERROR(record::InitCrypto());
  RETURN_IF_ERROR(RefuseIfInitialised(data_dir));
  auto key = record::KeyPair::Load(data_dir + "/node.key");
  if (!key.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no key in ", data_dir, " (run `rectsync keygen` first and enrol its public key): ",
        key.status().message()));
  }
  ASSIGN_OR_RETURN(record::TrustStore trust, record::CheckBundle(bundle, key->public_key()));
  ASSIGN_OR_RETURN(record::DecodedRecord last, record::Open(*bundle.chain().rbegin()));
  NodeOptions options;
  options.data_dir = data_dir;
  options.unit = last.body.unit_enrolled().unit();
  {
    ASSIGN_OR_RETURN(auto store, store::Store::Open(options.DbPath()));
    ASSIGN_OR_RETURN(auto existing, store->GetMeta(kMetaUnit));
    if (existing) {
      ASSIGN_OR_RETURN(std::optional<std::string> held, store->GetMeta(kMetaBundle));
      if (*existing != options.unit || held != bundle.SerializeAsString()) {
        return absl::AlreadyExistsError(absl::StrCat(data_dir, " already holds a store"));
      }
      return WriteConfig(options);  // an init interrupted before node.toml
    }
    RETURN_IF_ERROR(store->PutMetas({{kMetaRootKey, bundle.root_public_key()},
                                     {kMetaBundle, bundle.SerializeAsString()},
                                     {kMetaUnit, options.unit}}));
  }
  return WriteConfig(options);
}

absl::StatusOr<std::unique_ptr<Node>> Node::OpenWaiting(const NodeOptions& options, std::chrono::milliseconds wait,
                                                        const std::function<void()>& waiting,
                                                        const std::function<bool()>& stop) {
  // Two officers' commands collide briefly all the time; only a wait a person
  // would notice is worth a line.
  constexpr auto kTellAfter = std::chrono::seconds(1);
  const auto start = std::chrono::steady_clock::now();
  // Writers that collide retry at slightly different pace, so neither waits on
  // the other in lock step.
  const auto pause = std::chrono::milliseconds(20 + ::getpid() % 20);
  bool told = false;
  for (;;) {
    absl::StatusOr<std::unique_ptr<Node>> node = Open(options);
    if (node.ok() || !store::InUseByAnotherProcess(node.status())) return node;
    const auto waited = std::chrono::steady_clock::now() - start;
    if (!told && waited >= kTellAfter && waiting) {
      waiting();
      told = true;
    }
    if (waited + pause > wait) {
      return absl::DeadlineExceededError(absl::StrCat(
          "node ", options.data_dir, ": its store stayed in use by another process for ",
          absl::FormatDuration(absl::FromChrono(wait)),
          " (another rectsync command, or rectsyncd starting or stopping); nothing was done"));
    }
    std::this_thread::sleep_for(pause);
    if (stop && stop()) return absl::CancelledError("the store's holder started answering");
  }
}

absl::StatusOr<std::unique_ptr<Node>> Node::Open(const NodeOptions& options, Clock* clock) {
  RETURN_IF_ERROR(record::InitCrypto());
  std::unique_ptr<Node> node(new Node(options, clock));
  store::StoreOptions store_options;
  store_options.sync = options.sync_writes;
  store_options.read_only_fallback = options.read_only_fallback;
  ASSIGN_OR_RETURN(node->store_, store::Store::Open(options.DbPath(), store_options));
  ASSIGN_OR_RETURN(std::optional<std::string> unit, node->store_->GetMeta(kMetaUnit));
  if (!unit) {
    return absl::FailedPreconditionError(
        absl::StrCat(options.data_dir, " is not initialised (run `rectsync init`)"));
  }
  if (!options.unit.empty() && *unit != options.unit) {
    return absl::FailedPreconditionError(absl::StrCat(
        "node.toml names unit \"", options.unit, "\" but the store belongs to \"", *unit, "\""));
  }
  node->unit_ = *unit;
  // A rotation interrupted between its two renames (node_keys.cc).
  const std::string next_path = options.KeyPath() + ".next";
  if (!std::filesystem::exists(options.KeyPath()) && std::filesystem::exists(next_path)) {
    std::filesystem::rename(next_path, options.KeyPath());
    RETURN_IF_ERROR(store::SyncDirectory(options.data_dir));
  }
  ASSIGN_OR_RETURN(record::KeyPair key, record::KeyPair::Load(options.KeyPath()));
  node->key_ = std::make_shared<const record::KeyPair>(std::move(key));
  if (std::filesystem::exists(next_path)) {
    ASSIGN_OR_RETURN(record::KeyPair next, record::KeyPair::Load(next_path));
    node->next_key_ = std::make_shared<const record::KeyPair>(std::move(next));
  }
  RETURN_IF_ERROR(node->LoadTrust());
  {
    std::lock_guard<std::mutex> lock(node->write_mu_);
    node->TakeNextKeyLocked();
  }
  ASSIGN_OR_RETURN(store::Head head, node->store_->GetHead(node->unit_));
  node->clock_.ObserveOwn(head.hlc);
  return node;
}

absl::Status Node::LoadTrust() {
  ASSIGN_OR_RETURN(std::optional<std::string> root_key, store_->GetMeta(kMetaRootKey));
  if (!root_key) return absl::DataLossError("store has no root key");
  trust_ = record::TrustStore(*root_key);
  ASSIGN_OR_RETURN(std::optional<std::string> bundle_bytes, store_->GetMeta(kMetaBundle));
  std::vector<v1::Record> enrolments;
  if (bundle_bytes) {
    v1::EnrollmentBundle bundle;
    if (!bundle.ParseFromString(*bundle_bytes)) return absl::DataLossError("stored bundle is corrupt");
    enrolments.assign(bundle.chain().begin(), bundle.chain().end());
  }
  ASSIGN_OR_RETURN(std::vector<v1::Record> held, store_->Enrolments());
  enrolments.insert(enrolments.end(), held.begin(), held.end());
  for (const v1::Record& env : enrolments) {
    ASSIGN_OR_RETURN(record::DecodedRecord r, record::Decode(env));
    clock_.Observe(r.body.hlc());
    // An enrolment received from elsewhere that breaks a trust rule is kept
    // in the log as evidence but grants nothing (DESIGN §4: authority is
    // judged, not refused at ingest); only this node's own chain must hold.
    absl::Status s = trust_.Admit(env, r);
    if (!s.ok() && r.body.origin() == unit_) {
      return absl::DataLossError(absl::StrCat("stored enrolment does not verify: ", s.message()));
    }
  }
  return absl::OkStatus();
}

std::string Node::Today() const { return LocalDate(clock_.wall()->NowMillis()); }

absl::StatusOr<v1::AppendReply> Node::Append(v1::RecordBody body) {
  std::lock_guard<std::mutex> lock(write_mu_);
  return AppendLocked(std::move(body));
}

absl::StatusOr<v1::AppendReply> Node::AppendLocked(v1::RecordBody body) {
  std::vector<v1::RecordBody> one;
  one.push_back(std::move(body));
  ASSIGN_OR_RETURN(std::vector<v1::AppendReply> replies, AppendAllLocked(std::move(one)));
  return replies[0];
}

absl::StatusOr<std::vector<v1::AppendReply>> Node::AppendAll(std::vector<v1::RecordBody> bodies) {
  std::lock_guard<std::mutex> lock(write_mu_);
  return AppendAllLocked(std::move(bodies));
}

absl::StatusOr<std::vector<v1::AppendReply>> Node::AppendAllLocked(std::vector<v1::RecordBody> bodies) {
  if (bodies.empty()) return absl::InvalidArgumentError("nothing to append");
  ASSIGN_OR_RETURN(store::Head head, store_->GetHead(unit_));
  const std::shared_ptr<const record::KeyPair> signing_key = Key();
  std::vector<store::StoredRecord> recs(bodies.size());
  // Problems created earlier in the batch: later records may refer to them
  // before they are stored (the fold checks them in the same WriteBatch).
  std::set<std::string> created;
  std::optional<record::TrustStore> trial;
  for (size_t i = 0; i < bodies.size(); ++i) {
    v1::RecordBody& body = bodies[i];
    body.set_origin(unit_);
    body.set_seq(head.seq + 1);
    body.set_prev(head.id);
    body.set_hlc(clock_.Now());
    if (std::string* id = CreatedId(&body); id && id->empty()) {
      *id = absl::StrCat(unit_, ":", std::string(1, IdLetter(body)), body.seq());
    }
    if (body.has_unit_enrolled() && body.unit_enrolled().valid_from_ms() == 0) {
      body.mutable_unit_enrolled()->set_valid_from_ms(record::HlcMillis(body.hlc()));
    }
    auto where = [&](const absl::Status& s) {
      return bodies.size() == 1 ? s
                                : absl::Status(s.code(), absl::StrCat("record ", i + 1, ": ", s.message()));
    };
    if (absl::Status s = aggregator::ValidateBody(body); !s.ok()) return where(s);
    const std::string& pid = aggregator::ProblemOf(body);
    if (body.has_problem_raised() && created.count(pid)) {
      return where(absl::AlreadyExistsError(absl::StrCat("problem_id: \"", pid, "\" is raised twice")));
    }
    if (body.has_problem_raised() || !created.count(pid)) {
      if (absl::Status s = CheckKnownIds(body); !s.ok()) return where(s);
    }
    if (body.has_problem_raised()) created.insert(pid);
    recs[i].envelope = record::Seal(body, *signing_key);
    ASSIGN_OR_RETURN(recs[i].decoded, record::Open(recs[i].envelope));
    // A record a verifier would refuse is never written: this node's own
    // enrolment must be valid at the stamp (a clock behind the enrolment or
    // an expired one), and an enrolment must be one the trust rules admit.
    const bool self_enrolment = body.has_unit_enrolled() && body.unit_enrolled().unit() == unit_;
    if (!self_enrolment) {
      if (absl::Status s = trust_.CheckKeyValidAt(unit_, signing_key->public_key(),
                                                  record::HlcMillis(body.hlc()));
          !s.ok()) {
        return where(absl::FailedPreconditionError(absl::StrCat("refused: ", s.message())));
      }
    }
    if (record::IsTrustRecord(body)) {
      // Admitted in order to a copy, which replaces the live trust store
      // once the batch is durable: nothing can fail after the commit.
      if (!trial) trial = trust_;
      if (absl::Status s = trial->Admit(recs[i].envelope, recs[i].decoded); !s.ok()) {
        return where(absl::FailedPreconditionError(absl::StrCat("refused: ", s.message())));
      }
    }
    head = store::Head{body.seq(), recs[i].decoded.id, body.hlc()};
  }
  // A local write that the fold would only list as a violation is refused
  // here, where the officer can still correct it.
  auto refuse_violations = [](const record::DecodedRecord& r,
                              const v1::ProblemState* problem) -> absl::Status {
    if (problem == nullptr) return absl::OkStatus();
    for (const v1::Violation& v : problem->violations()) {
      if (v.record().id() == r.id) {
        return absl::FailedPreconditionError(
            absl::StrCat("refused: ", v.reason(), " (", record::Describe(r.body), ")"));
      }
    }
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(store_->Append(recs, refuse_violations));
  if (trial) trust_ = *std::move(trial);
  NotifyChange();
  std::vector<v1::AppendReply> replies;
  for (size_t i = 0; i < recs.size(); ++i) {
    v1::RecordBody& body = bodies[i];
    v1::AppendReply reply;
    reply.set_id(recs[i].decoded.id);
    reply.set_seq(body.seq());
    if (std::string* id = CreatedId(&body)) reply.set_subject(*id);
    else reply.set_subject(aggregator::ProblemOf(body));
    replies.push_back(std::move(reply));
  }
  return replies;
}

absl::Status Node::CheckKnownIds(const v1::RecordBody& b) const {
  const std::string& pid = aggregator::ProblemOf(b);
  if (b.has_problem_raised()) {
    ASSIGN_OR_RETURN(auto existing, store_->GetProblem(pid));
    if (existing && existing->raised()) {
      return absl::AlreadyExistsError(absl::StrCat("problem_id: \"", pid, "\" already exists"));
    }
    const std::string& insp = b.problem_raised().inspection_id();
    if (!insp.empty()) {
      ASSIGN_OR_RETURN(bool known, store_->HasInspection(insp));
      if (!known) {
        return absl::NotFoundError(
            absl::StrCat("problem_raised.inspection_id: unknown inspection \"", insp, "\""));
      }
    }
    return absl::OkStatus();
  }
  if (pid.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::optional<v1::ProblemState> state, store_->GetProblem(pid));
  if (!state || !state->raised()) {
    return absl::NotFoundError(absl::StrCat("problem_id: unknown problem \"", pid, "\""));
  }
  if (b.has_progress_reported() && !b.progress_reported().measure_id().empty()) {
    const std::string& mid = b.progress_reported().measure_id();
    bool found = false;
    for (const auto& m : state->measures()) found |= m.measure_id() == mid;
    if (!found) {
      return absl::NotFoundError(absl::StrCat("progress_reported.measure_id: \"", mid,
                                              "\" is not a measure of problem \"", pid, "\""));
    }
  }
  if (b.has_claim_reviewed()) {
    bool found = false;
    for (const auto& c : state->claims()) found |= c.record().id() == b.claim_reviewed().claim_record_id();
    if (!found) {
      return absl::NotFoundError(absl::StrCat("claim_reviewed.claim_record_id: ",
                                              record::ToHex(b.claim_reviewed().claim_record_id()),
                                              " is not a claim of problem \"", pid, "\""));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::EnrollmentBundle> Node::Enroll(const v1::EnrollRequest& req) {
  v1::RecordBody body;
  body.set_author(req.author());
  auto* e = body.mutable_unit_enrolled();
  e->set_unit(req.unit());
  e->set_name(req.name());
  e->set_level(req.level());
  e->set_public_key(req.public_key());
  e->set_valid_until_ms(req.valid_until_ms());
  if (req.unit() == unit_) {
    return absl::InvalidArgumentError("unit_enrolled.unit: a node cannot enrol itself");
  }
  std::lock_guard<std::mutex> lock(write_mu_);
  ASSIGN_OR_RETURN(v1::AppendReply reply, AppendLocked(std::move(body)));
  ASSIGN_OR_RETURN(std::optional<std::string> bundle_bytes, store_->GetMeta(kMetaBundle));
  v1::EnrollmentBundle bundle;
  if (!bundle_bytes || !bundle.ParseFromString(*bundle_bytes)) {
    return absl::DataLossError("this node's own enrolment bundle is missing");
  }
  ASSIGN_OR_RETURN(std::optional<v1::Record> env, store_->GetRecord(unit_, reply.seq()));
  *bundle.add_chain() = *env;
  return bundle;
}

}  // namespace rectsync::node
