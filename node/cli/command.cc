#include "node/cli/command.h"

#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "aggregator/status_macros.h"
#include "node/record/keys.h"

namespace rectsync::cli {

absl::Status CommandGroup::connect() {
  if (ctx.node_dir.empty()) {
    return absl::InvalidArgumentError("--node: no node selected (give --node DIR or set RECTSYNC_NODE)");
  }
  ASSIGN_OR_RETURN(client, NodeClient::Connect(ctx.node_dir, std::chrono::milliseconds(static_cast<int64_t>(
                                                                    ctx.wait_seconds * 1000))));
  return absl::OkStatus();
}

absl::StatusOr<v1::IdentityReply> CommandGroup::identity() {
  if (!me_) {
    ASSIGN_OR_RETURN(me_, Call(&v1::Admin::Stub::Identity, client->admin(), v1::IdentityRequest()));
  }
  return *me_;
}

absl::StatusOr<std::string> CommandGroup::full_id(const std::string& id) {
  if (id.empty() || id.find(':') != std::string::npos) return id;
  ASSIGN_OR_RETURN(v1::IdentityReply me, identity());
  return absl::StrCat(me.unit(), ":", id);
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream data;
  data << in.rdbuf();
  return data.str();
}

absl::Status AppendAndReport(const Context& ctx, NodeClient& client, v1::RecordBody body) {
  body.set_author(ctx.author);
  v1::AppendRequest req;
  *req.mutable_body() = std::move(body);
  ASSIGN_OR_RETURN(v1::AppendReply reply, Call(&v1::Admin::Stub::Append, client.admin(), req));
  if (ctx.json) {
    std::cout << nlohmann::json{{"record_id", record::ToHex(reply.id())},
                                {"seq", reply.seq()},
                                {"subject", reply.subject()}}
                     .dump()
              << "\n";
  } else {
    std::cout << (ctx.lang() == Lang::kZh ? "已记录 " : "recorded ") << reply.subject() << "  #"
              << reply.seq() << "  " << record::ToHex(reply.id()).substr(0, 12) << "\n";
  }
  return absl::OkStatus();
}

}  // namespace rectsync::cli
