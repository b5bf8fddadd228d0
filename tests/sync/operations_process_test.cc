// A real rectsyncd's operator surfaces: the standard gRPC health service and
// server reflection on its sync port (what grpcurl and orchestrators use),
// and its web console with an account made by `rectsync user add`.
#include <stdio.h>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/client_unary_call.h>
#include <grpcpp/impl/codegen/sync_stream.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include "absl/strings/str_cat.h"
#include "tests/sync/cluster.h"

namespace rectsync::testing {
namespace {

const std::string kCity = "3201";

std::string Bytes(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  buffer.Dump(&slices);
  std::string out;
  for (const grpc::Slice& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

grpc::ByteBuffer Buffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

class OperationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    c_.AddRoot(kCity, "南京市");
    console_port_ = FreePort();
    c_.Configure(kCity, {{"console_listen", absl::StrCat("\"127.0.0.1:", console_port_, "\"")}});
    c_.Start(kCity);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", c_.member(kCity).port),
                                   grpc::InsecureChannelCredentials());
  }
  Cluster c_;
  int console_port_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(OperationsTest, HealthServiceAnswersServing) {
  // grpc.health.v1.Health/Check with service "" (the whole server): an
  // empty request; the reply's field 1 is the status, 1 = SERVING.
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::ByteBuffer reply;
  grpc::Status s = grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
      channel_.get(), grpc::internal::RpcMethod("/grpc.health.v1.Health/Check", grpc::internal::RpcMethod::NORMAL_RPC),
      &ctx, Buffer(""), &reply);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(Bytes(reply), std::string("\x08\x01", 2));
}

TEST_F(OperationsTest, ReflectionListsTheSyncAndQueryServices) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  std::unique_ptr<grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>> stream(
      grpc::internal::ClientReaderWriterFactory<grpc::ByteBuffer, grpc::ByteBuffer>::Create(
          channel_.get(),
          grpc::internal::RpcMethod("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                                    grpc::internal::RpcMethod::BIDI_STREAMING),
          &ctx));
  // ServerReflectionRequest{list_services: ""}: field 7, length-delimited, empty.
  ASSERT_TRUE(stream->Write(Buffer(std::string("\x3a\x00", 2))));
  stream->WritesDone();
  grpc::ByteBuffer reply;
  ASSERT_TRUE(stream->Read(&reply));
  const std::string bytes = Bytes(reply);
  EXPECT_NE(bytes.find("rectsync.v1.Sync"), std::string::npos);
  EXPECT_NE(bytes.find("rectsync.v1.Query"), std::string::npos);
  EXPECT_NE(bytes.find("grpc.health.v1.Health"), std::string::npos);
  while (stream->Read(&reply)) {
  }
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(OperationsTest, TheDaemonServesItsConsoleToAnOfficerTheCliMade) {
  const std::string add = absl::StrCat("echo 'rectsync-pass' | ", RECTSYNC_CLI_PATH, " --node ", c_.member(kCity).dir,
                                       " user add wang --display 王芳 --role clerk");
  ASSERT_EQ(std::system(add.c_str()), 0);
  httplib::Client http("127.0.0.1", console_port_);
  auto health = http.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto metrics = http.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("rectsync_records{unit=\"3201\"}"), std::string::npos);
  auto login_page = http.Get("/login");
  ASSERT_TRUE(login_page);
  const std::string cookie = login_page->get_header_value("Set-Cookie");
  const std::string pre = cookie.substr(0, cookie.find(';'));
  const std::string token = pre.substr(pre.find('=') + 1);
  auto login = http.Post("/login", {{"Cookie", pre}}, httplib::Params{{"name", "wang"}, {"password", "rectsync-pass"},
                                                                       {"csrf", token}, {"next", "/overview"}});
  ASSERT_TRUE(login);
  EXPECT_EQ(login->status, 303) << login->body;
  const std::string session = login->get_header_value("Set-Cookie");
  auto overview = http.Get("/overview", {{"Cookie", session.substr(0, session.find(';'))}});
  ASSERT_TRUE(overview);
  EXPECT_EQ(overview->status, 200);
  EXPECT_NE(overview->body.find("王芳 (wang)"), std::string::npos);
}

}  // namespace
}  // namespace rectsync::testing
