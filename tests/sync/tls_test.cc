// The parent link over TLS with client certificates (DESIGN §5): a county
// pushes to its city through mutually authenticated TLS, and a client
// without a certificate signed by the CA is turned away.
#include <stdlib.h>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "rectsync/v1/sync.grpc.pb.h"
#include "tests/sync/cluster.h"

namespace rectsync::testing {
namespace {

// Makes a CA and, signed by it, a certificate for `name` valid for
// 127.0.0.1, in `dir`: ca.pem, <name>.pem, <name>.key.
void MakeCerts(const std::string& dir, const std::vector<std::string>& names) {
  auto sh = [](const std::string& cmd) {
    ASSERT_EQ(::system((cmd + " >/dev/null 2>&1").c_str()), 0) << cmd;
  };
  sh(absl::StrCat("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes ",
                  "-keyout ", dir, "/ca.key -out ", dir, "/ca.pem -days 2 -subj /CN=rectsync-test-ca"));
  for (const std::string& n : names) {
    sh(absl::StrCat("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ",
                    dir, "/", n, ".key -out ", dir, "/", n, ".csr -subj /CN=", n));
    std::string ext = absl::StrCat(dir, "/", n, ".ext");
    std::ofstream(ext) << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
    sh(absl::StrCat("openssl x509 -req -in ", dir, "/", n, ".csr -CA ", dir, "/ca.pem -CAkey ", dir,
                    "/ca.key -CAcreateserial -days 2 -extfile ", ext, " -out ", dir, "/", n, ".pem"));
  }
}

TEST(SyncTlsTest, CountyPushesToCityOverMutualTls) {
  Cluster c;
  c.AddRoot("3201", "南京市");
  c.Add("3201/320115", "江宁区", v1::LEVEL_COUNTY, "3201", false);
  const std::string certs = c.root_dir();
  MakeCerts(certs, {"city", "county"});
  auto tls = [&](const std::string& who) {
    return std::map<std::string, std::string>{
        {"plaintext", "false"},
        {"tls_ca", absl::StrCat("'", certs, "/ca.pem'")},
        {"tls_cert", absl::StrCat("'", certs, "/", who, ".pem'")},
        {"tls_key", absl::StrCat("'", certs, "/", who, ".key'")}};
  };
  c.Configure("3201", tls("city"));
  c.Configure("3201/320115", tls("county"));
  c.Start("3201");
  c.Start("3201/320115");
  {
    auto county = c.Client("3201/320115");
    Raise(*county, "专项债券资金使用效益不高");
  }
  EXPECT_TRUE(WaitFor([&] {
    auto city = c.Client("3201");
    return Summary(*city).problems() == 1;
  })) << "the record did not cross the TLS link";

  // Without a client certificate the handshake never gets to the service.
  auto creds = grpc::SslCredentials(grpc::SslCredentialsOptions{
      [&] {
        std::ifstream in(certs + "/ca.pem");
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
      }(),
      "", ""});
  auto stub = v1::Sync::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", c.member("3201").port), creds));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  v1::HandshakeRequest req;
  v1::HandshakeReply reply;
  grpc::Status s = stub->Handshake(&ctx, req, &reply);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
}

}  // namespace
}  // namespace rectsync::testing
