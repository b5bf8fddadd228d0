// The trust holes an independent client found (issue 11), each tried again
// against real rectsyncd processes by a client that builds its messages
// itself from proto/ and the design: hellos signed by hand over a
// Challenge nonce, records sealed with a unit's key file, raw bytes on the
// Push stream. Each case failed before its fix.
#include <signal.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/client_unary_call.h>
#include <grpcpp/support/byte_buffer.h>

#include "absl/strings/str_cat.h"
#include "node/record/codec.h"
#include "node/record/keys.h"
#include "node/store/store.h"
#include "rectsync/v1/sync.grpc.pb.h"
#include "tests/sync/cluster.h"

namespace rectsync::testing {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A client of one node's public port that knows only the protocol and a
// unit's key file.
class OutsideClient {
 public:
  OutsideClient(Cluster& c, const std::string& at, const std::string& as)
      : at_(at), as_(as) {
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", c.member(at).port),
                                   grpc::InsecureChannelCredentials());
    sync_ = v1::Sync::NewStub(channel_);
    query_ = v1::Query::NewStub(channel_);
    auto key = record::KeyPair::Load(c.member(as).dir + "/node.key");
    EXPECT_TRUE(key.ok()) << key.status();
    key_ = std::make_unique<record::KeyPair>(*std::move(key));
  }

  // signature = Ed25519(key, "rectsync.hello.v2\0" || unit || "\0" || parent
  //                     || "\0" || u64be(time_ms) || nonce), per sync.proto.
  v1::Hello SignHello(const std::string& nonce) const {
    v1::Hello h;
    h.set_unit(as_);
    h.set_parent(at_);
    h.set_time_ms(NowMs());
    h.set_nonce(nonce);
    const std::string msg = absl::StrCat(
        absl::string_view("rectsync.hello.v2\0", 18), h.unit(), absl::string_view("\0", 1),
        h.parent(), absl::string_view("\0", 1), store::EncodeU64(h.time_ms()), h.nonce());
    h.set_signature(key_->Sign(msg));
    return h;
  }
  std::string Nonce(bool from_query = false) {
    grpc::ClientContext ctx;
    v1::ChallengeRequest req;
    req.set_unit(as_);
    v1::ChallengeReply reply;
    grpc::Status s = from_query ? query_->Challenge(&ctx, req, &reply)
                                : sync_->Challenge(&ctx, req, &reply);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(reply.nonce().size(), 32u);
    return reply.nonce();
  }
  v1::Hello Hello() { return SignHello(Nonce()); }

  // One batch in its own stream: the reply, or the stream's status as one.
  v1::PushReply Push(const std::vector<v1::Record>& records) {
    return PushWith(Hello(), records);
  }
  v1::PushReply PushWith(const v1::Hello& hello, const std::vector<v1::Record>& records) {
    return PushOneBatch(sync_.get(), hello, records);
  }

  // A record of `origin` sealed with this client's key.
  v1::Record Seal(const std::string& origin, uint64_t seq, const std::string& prev,
                  const std::string& title, int64_t ms = 0) const {
    v1::RecordBody b;
    b.set_origin(origin);
    b.set_seq(seq);
    b.set_prev(prev);
    // Stamps rise along a chain: the seq in the logical part keeps two
    // records sealed in one millisecond in order, as a node's clock does.
    b.set_hlc((static_cast<uint64_t>(ms ? ms : NowMs()) << 16) | (seq & 0xffff));
    b.set_author("外部客户端");
    auto* p = b.mutable_problem_raised();
    p->set_problem_id(absl::StrCat(origin, ":X", seq));
    p->set_unit(origin);
    p->set_source(v1::SOURCE_SELF_CHECK);
    p->set_category("基层组织");
    p->set_title(title);
    return record::Seal(b, *key_);
  }

  // Whether the node takes this client's hellos (knows its enrolment).
  bool Known() {
    v1::HandshakeRequest req;
    *req.mutable_hello() = Hello();
    v1::HandshakeReply reply;
    grpc::ClientContext ctx;
    return sync_->Handshake(&ctx, req, &reply).ok();
  }

  v1::Sync::Stub* sync() { return sync_.get(); }
  v1::Query::Stub* query() { return query_.get(); }
  std::shared_ptr<grpc::Channel> channel() { return channel_; }
  const record::KeyPair& key() const { return *key_; }

 private:
  std::string at_, as_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Sync::Stub> sync_;
  std::unique_ptr<v1::Query::Stub> query_;
  std::unique_ptr<record::KeyPair> key_;
};

int64_t Problems(Cluster& c, const std::string& at, const std::string& unit) {
  auto client = c.Client(at);
  return Summary(*client, unit).problems();
}

bool HasFork(Cluster& c, const std::string& at, const std::string& origin) {
  auto client = c.Client(at);
  const v1::SyncStatusReply status = SyncStatus(*client);
  for (const v1::ForkInfo& f : status.forks()) {
    if (f.origin() == origin) return true;
  }
  return false;
}

// Three records of village 1 whose middle one carries a garbage signature,
// the third chaining from it and validly signed.
std::vector<v1::Record> BadMiddle(const OutsideClient& v) {
  std::vector<v1::Record> out;
  out.push_back(v.Seal(kVillage1, 1, "", "第一条"));
  v1::Record bad = v.Seal(kVillage1, 2, record::RecordId(out[0]), "签名被换掉的一条");
  bad.set_signature(std::string(64, '\x5a'));
  out.push_back(bad);
  out.push_back(v.Seal(kVillage1, 3, record::RecordId(out[1]), "第三条"));
  return out;
}

// 1. A record with an invalid signature is refused at the first hop, even
// with a valid signature after it. Where a relay hands one on (the chain
// vouches for its bytes), verify names it and stays green.
TEST(TrustProcessTest, AnInvalidSignatureIsRefusedAtTheFirstHopAndNamedWhereHeld) {
  Cluster c;
  BuildChain(c);
  for (const char* u : {kCity, kCounty, kTown}) c.Start(u);
  OutsideClient village(c, kTown, kVillage1);
  const std::vector<v1::Record> batch = BadMiddle(village);

  v1::PushReply r = village.Push(batch);
  EXPECT_EQ(r.code(), grpc::StatusCode::UNAUTHENTICATED) << r.error();
  EXPECT_NE(r.error().find(absl::StrCat(kVillage1, "#2")), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("signature does not verify"), std::string::npos) << r.error();
  EXPECT_EQ(r.stored(), 0u);
  // Straight to the county (the village is below it): the first hop there too.
  OutsideClient at_county(c, kCounty, kVillage1);
  ASSERT_TRUE(WaitFor([&] { return at_county.Known(); })) << "the county never learnt the village";
  r = at_county.Push(batch);
  EXPECT_EQ(r.code(), grpc::StatusCode::UNAUTHENTICATED) << r.error();
  EXPECT_EQ(Problems(c, kTown, kVillage1), 0);
  EXPECT_EQ(Problems(c, kCounty, kVillage1), 0);

  // Relayed by the township (as a node that took it before this fix
  // would): the last signature vouches for every byte before it.
  OutsideClient town(c, kCounty, kTown);
  r = town.Push(batch);
  ASSERT_EQ(r.code(), 0) << r.error();
  EXPECT_EQ(r.stored(), 3u);
  for (const char* u : {kCounty, kCity}) {
    ASSERT_TRUE(WaitFor([&] { return Problems(c, u, kVillage1) == 3; })) << u;
    auto client = c.Client(u);
    v1::VerifyReply v = Verify(*client);
    EXPECT_TRUE(v.ok()) << u << ": " << v.first_bad_origin() << "#" << v.first_bad_seq() << " "
                        << v.reason();
    ASSERT_EQ(v.vouched_size(), 1) << u;
    EXPECT_EQ(v.vouched(0).origin(), kVillage1);
    EXPECT_EQ(v.vouched(0).seq(), 2u);
    EXPECT_EQ(v.vouched(0).vouched_by_seq(), 3u);
    EXPECT_EQ(v.vouched(0).id(), record::RecordId(batch[1]));
  }
  // A garbage signature on the last record is vouched for by nothing.
  std::vector<v1::Record> tail = {village.Seal(kVillage1, 4, record::RecordId(batch[2]), "末条")};
  tail[0].set_signature(std::string(64, '\x11'));
  r = town.Push(tail);
  EXPECT_EQ(r.code(), grpc::StatusCode::UNAUTHENTICATED) << r.error();
}

// 2. A fork detected at the county travels up to the city and down to the
// township, freezing the village everywhere; a forged proof is refused.
TEST(TrustProcessTest, AForkProofTravelsUpAndDownAndFreezesTheOriginEverywhere) {
  Cluster c;
  BuildChain(c);
  for (const char* u : {kCity, kCounty, kTown, kVillage1, kVillage2}) c.Start(u);
  {
    auto v = c.Client(kVillage1);
    for (int i = 0; i < 3; ++i) Raise(*v, absl::StrCat("公开栏更新不及时 ", i));
  }
  ASSERT_TRUE(WaitFor([&] { return Problems(c, kCity, kVillage1) == 3; }));
  c.Kill(kVillage1, SIGTERM);
  std::string id2, id3;
  {
    auto v = c.OpenNode(kVillage1);
    ASSERT_NE(v, nullptr);
    auto r2 = v->store()->GetRecord(kVillage1, 2);
    auto r3 = v->store()->GetRecord(kVillage1, 3);
    ASSERT_TRUE(r2.ok() && *r2 && r3.ok() && *r3) << "village log shorter than 3";
    id2 = record::RecordId(**r2);
    id3 = record::RecordId(**r3);
  }
  // The village's key writes a second seq 3 and shows it to the county.
  OutsideClient at_county(c, kCounty, kVillage1);
  v1::PushReply r = at_county.Push({at_county.Seal(kVillage1, 3, id2, "另一个第三条")});
  EXPECT_EQ(r.code(), grpc::StatusCode::FAILED_PRECONDITION) << r.error();
  EXPECT_NE(r.error().find("fork"), std::string::npos) << r.error();
  EXPECT_TRUE(HasFork(c, kCounty, kVillage1));
  // Up: the city learns it and freezes the village.
  EXPECT_TRUE(WaitFor([&] { return HasFork(c, kCity, kVillage1); })) << "the city never learnt";
  OutsideClient at_city(c, kCity, kVillage1);
  r = at_city.Push({at_city.Seal(kVillage1, 4, id3, "分叉之后直接推给市")});
  EXPECT_EQ(r.code(), grpc::StatusCode::FAILED_PRECONDITION) << r.error();
  EXPECT_NE(r.error().find("frozen"), std::string::npos) << r.error();
  // Down: the township that relays the village learns it by pull.
  EXPECT_TRUE(WaitFor([&] { return HasFork(c, kTown, kVillage1); })) << "the township never learnt";
  EXPECT_FALSE(HasFork(c, kCity, kVillage2));
  for (const char* u : {kCity, kCounty, kTown}) {
    auto client = c.Client(u);
    v1::VerifyReply v = Verify(*client);
    EXPECT_TRUE(v.ok()) << u << ": " << v.reason();
  }

  // A forged proof for village 2 (one half's signature broken), reported to
  // the city as the county: refused, nothing frozen.
  OutsideClient county(c, kCity, kCounty);
  OutsideClient v2(c, kCity, kVillage2);
  v1::ForkReport report;
  *report.mutable_hello() = county.Hello();
  v1::ForkProof* p = report.add_proofs();
  *p->mutable_a() = v2.Seal(kVillage2, 1, "", "甲");
  *p->mutable_b() = v2.Seal(kVillage2, 1, "", "乙");
  std::string sig = p->b().signature();
  sig[3] ^= 1;
  p->mutable_b()->set_signature(sig);
  v1::ForkReportReply reply;
  grpc::ClientContext ctx;
  grpc::Status s = county.sync()->ReportForks(&ctx, report, &reply);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_NE(s.error_message().find("fork proof 1"), std::string::npos) << s.error_message();
  EXPECT_FALSE(HasFork(c, kCity, kVillage2));
}

// 3. After its enrolment's expiry plus the grace, a unit can no longer
// write by backdating: its hello is refused, saying what to do.
TEST(TrustProcessTest, AnExpiredEnrolmentCannotBackdateItsWayIn) {
  constexpr char kShort[] = "3201/320115/320115003/003";
  Cluster c;
  BuildChain(c);
  c.Configure(kTown, {{"enrolment_grace_ms", "1000"}});
  for (const char* u : {kCity, kCounty, kTown}) c.Start(u);
  const int64_t until = NowMs() + 3000;
  c.Add(kShort, "三村", v1::LEVEL_VILLAGE, kTown, false, until);
  OutsideClient v(c, kTown, kShort);
  const v1::Record r1 = v.Seal(kShort, 1, "", "到期前写、到期前送");
  // Written before the expiry but held back.
  const v1::Record r2 = v.Seal(kShort, 2, record::RecordId(r1), "到期前写、到期后送");
  v1::PushReply r = v.Push({r1});
  ASSERT_EQ(r.code(), 0) << r.error();
  std::this_thread::sleep_for(std::chrono::milliseconds(until + 1500 - NowMs()));
  r = v.Push({r2});
  EXPECT_EQ(r.code(), grpc::StatusCode::FAILED_PRECONDITION) << r.error();
  EXPECT_NE(r.error().find("expired"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("enrol it again"), std::string::npos) << r.error();
  EXPECT_EQ(Problems(c, kTown, kShort), 1);
}

// 4. A hello is good for one call: replayed, it is refused (Sync and Query).
TEST(TrustProcessTest, ACapturedHelloCannotBeReplayed) {
  Cluster c;
  BuildChain(c);
  for (const char* u : {kCity, kCounty, kTown}) c.Start(u);
  OutsideClient town(c, kCounty, kTown);
  auto pull = [&](const v1::Hello& h) {
    v1::PullRequest req;
    *req.mutable_hello() = h;
    grpc::ClientContext ctx;
    auto reader = town.sync()->Pull(&ctx, req);
    v1::PullBatch b;
    while (reader->Read(&b)) {
    }
    return reader->Finish();
  };
  const v1::Hello captured = town.Hello();
  EXPECT_TRUE(pull(captured).ok());
  grpc::Status s = pull(captured);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_NE(s.error_message().find("one call"), std::string::npos) << s.error_message();
  // No nonce at all, or one issued to another unit.
  s = pull(town.SignHello(""));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  OutsideClient other(c, kCounty, kVillage1);
  s = pull(town.SignHello(other.Nonce()));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();

  auto summary = [&](const v1::Hello& h) {
    v1::QuerySummaryRequest req;
    *req.mutable_hello() = h;
    req.mutable_request()->set_unit(kTown);
    v1::Summary out;
    grpc::ClientContext ctx;
    return town.query()->GetSummary(&ctx, req, &out);
  };
  const v1::Hello q = town.SignHello(town.Nonce(/*from_query=*/true));
  EXPECT_TRUE(summary(q).ok());
  s = summary(q);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
}

// 5. Bytes that do not parse on the Push stream end it with
// INVALID_ARGUMENT naming the problem, first message or later.
TEST(TrustProcessTest, APushStreamThatDoesNotParseEndsWithInvalidArgument) {
  Cluster c;
  BuildChain(c);
  for (const char* u : {kCity, kCounty, kTown}) c.Start(u);
  OutsideClient village(c, kTown, kVillage1);
  auto raw_push = [&](const std::vector<std::string>& messages) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    std::unique_ptr<grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>> stream(
        grpc::internal::ClientReaderWriterFactory<grpc::ByteBuffer, grpc::ByteBuffer>::Create(
            village.channel().get(),
            grpc::internal::RpcMethod("/rectsync.v1.Sync/Push",
                                      grpc::internal::RpcMethod::BIDI_STREAMING),
            &ctx));
    int replies = 0;
    for (const std::string& m : messages) {
      grpc::Slice slice(m);
      grpc::ByteBuffer bb(&slice, 1);
      if (!stream->Write(bb)) break;
      grpc::ByteBuffer reply;
      if (!stream->Read(&reply)) break;
      ++replies;
    }
    stream->WritesDone();
    grpc::Status s = stream->Finish();
    return std::make_pair(s, replies);
  };
  auto [s, replies] = raw_push({std::string("\xff\xff\xff\xff garbage", 12)});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_NE(s.error_message().find("push message 1"), std::string::npos) << s.error_message();
  EXPECT_NE(s.error_message().find("does not parse"), std::string::npos) << s.error_message();

  // A good first batch, then a truncated one.
  v1::PushBatch good;
  *good.mutable_hello() = village.Hello();
  *good.add_records() = village.Seal(kVillage1, 1, "", "好的一条");
  const std::string bytes = good.SerializeAsString();
  std::tie(s, replies) = raw_push({bytes, bytes.substr(0, bytes.size() / 2)});
  EXPECT_EQ(replies, 1);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_NE(s.error_message().find("push message 2"), std::string::npos) << s.error_message();
  EXPECT_EQ(Problems(c, kTown, kVillage1), 1);
}

// 6. GetProblem outside the caller's subtree: the same PermissionDenied
// for a problem that exists and one that does not.
TEST(TrustProcessTest, GetProblemOutsideTheSubtreeTellsNothingAboutExistence) {
  Cluster c;
  BuildChain(c);
  for (const char* u : {kCity, kCounty, kTown, kVillage1}) c.Start(u);
  std::string pid;
  {
    auto v = c.Client(kVillage1);
    pid = Raise(*v, "集体资产台账不全").subject();
  }
  ASSERT_TRUE(WaitFor([&] { return Problems(c, kCounty, kVillage1) == 1; }));
  auto get = [&](OutsideClient& as, const std::string& id) {
    v1::QueryProblemRequest req;
    *req.mutable_hello() = as.SignHello(as.Nonce(/*from_query=*/true));
    req.mutable_request()->set_problem_id(id);
    v1::ProblemDetail out;
    grpc::ClientContext ctx;
    return as.query()->GetProblem(&ctx, req, &out);
  };
  OutsideClient sibling(c, kCounty, kVillage2);
  ASSERT_TRUE(WaitFor([&] { return sibling.Known(); }));
  const std::string missing = absl::StrCat(kVillage1, ":P999");
  grpc::Status exists = get(sibling, pid);
  grpc::Status absent = get(sibling, missing);
  EXPECT_EQ(exists.error_code(), grpc::StatusCode::PERMISSION_DENIED) << exists.error_message();
  EXPECT_EQ(absent.error_code(), grpc::StatusCode::PERMISSION_DENIED) << absent.error_message();
  std::string a = exists.error_message(), b = absent.error_message();
  a.replace(a.find(pid), pid.size(), "ID");
  b.replace(b.find(missing), missing.size(), "ID");
  EXPECT_EQ(a, b);
  // The owner sees its problem, and learns that its own unminted id is unknown.
  OutsideClient owner(c, kCounty, kVillage1);
  EXPECT_TRUE(get(owner, pid).ok());
  EXPECT_EQ(get(owner, missing).error_code(), grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace rectsync::testing
