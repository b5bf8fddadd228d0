// `rectsync key next | rotate | revoke | history`: a unit's keys (密钥)
// (node/daemon/node_keys.cc, DESIGN §5).
//
// Rotation (new machine, scheduled change): the unit runs `key next` on its
// own node and gives the printed public key to the unit above, which runs
// `key rotate`; when the new enrolment reaches the unit's node (by sync or
// by bundle) the node switches to the new key, and the old key stops being
// accepted at the stated time. A stolen laptop: the unit above runs
// `key revoke` from the time the laptop was lost.

#include <ctime>
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "aggregator/status_macros.h"
#include "node/cli/command.h"
#include "node/cli/render_sync.h"
#include "node/daemon/node.h"
#include "node/record/keys.h"
#include "node/store/durable_file.h"

namespace rectsync::cli {
namespace {

// "", "now", "2026-12-07", "2026-12-07 09:30" or "2026-12-07T09:30:00"
// (local time) as unix ms; "" and "now" are 0, which the node takes as now.
absl::StatusOr<int64_t> ParseLocalTime(const std::string& s, const std::string& field) {
  if (s.empty() || s == "now") return 0;
  for (const char* format : {"%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M",
                             "%Y-%m-%d"}) {
    std::tm tm{};
    const char* end = strptime(s.c_str(), format, &tm);
    if (end == nullptr || *end != '\0') continue;
    tm.tm_isdst = -1;
    const std::time_t t = std::mktime(&tm);
    if (t == static_cast<std::time_t>(-1)) break;
    return static_cast<int64_t>(t) * 1000;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      field, ": \"", s, "\" is not a time; write 2026-12-07, 2026-12-07 09:30 or now (local time)"));
}

class KeyCommands : public CommandGroup {
 public:
  KeyCommands(CLI::App& app, Session& session);

 private:
  v1::RotateKeyRequest rotate_req;
  v1::RevokeKeyRequest revoke_req;
  std::string rotate_pk, rotate_until, rotate_out;
  std::string revoke_pk, revoke_from;
  std::string history_unit;
};

KeyCommands::KeyCommands(CLI::App& app, Session& session) : CommandGroup(session) {
  auto* key = app.add_subcommand("key", "a unit's keys (密钥): rotation, revocation, history");
  key->require_subcommand(1);

  auto* next = key->add_subcommand(
      "next", "on this unit's node: create its next key (node.key.next) and print it for the unit above");
  on_run(next, [this]() -> absl::Status {
    if (ctx.node_dir.empty()) return absl::InvalidArgumentError("--node: required for key next");
    ASSIGN_OR_RETURN(std::string pk, node::Node::KeyGenNext(ctx.node_dir));
    if (ctx.json) {
      std::cout << nlohmann::json{{"next_public_key", record::ToHex(pk)}}.dump(2) << "\n";
    } else {
      std::cout << record::ToHex(pk) << "\n"
                << (ctx.lang() == Lang::kZh
                        ? "  (交上级单位执行 rectsync key rotate --unit 本单位 --public-key 上述公钥;"
                          " 新密钥入网记录到达后本节点自动换用)\n"
                        : "  (give it to the unit above for `rectsync key rotate --unit THIS_UNIT --public-key`"
                          " above; this node switches to it when that enrolment arrives)\n");
    }
    return absl::OkStatus();
  });

  auto* rotate = key->add_subcommand(
      "rotate", "at a unit above: enrol a unit's new key and stop its old key(s) from a stated time");
  rotate->add_option("--unit", *rotate_req.mutable_unit(), "the unit whose key changes (below this node)")
      ->required();
  rotate->add_option("--public-key", rotate_pk, "its new key (hex, from `rectsync key next` on its node)")
      ->required();
  rotate->add_option("--old-until", rotate_until,
                     "the old key(s) are accepted until then (local time; default 24 hours from now)");
  rotate->add_option("--reason", *rotate_req.mutable_reason(), "why (e.g. 更换电脑)");
  rotate->add_option("--out", rotate_out,
                     "also write the unit's enrolment file under the new key (for `rectsync restore` on a new machine)");
  on_run(rotate, [this]() -> absl::Status {
    ASSIGN_OR_RETURN(std::string pk, record::FromHex(rotate_pk, "public-key"));
    ASSIGN_OR_RETURN(int64_t until, ParseLocalTime(rotate_until, "old-until"));
    rotate_req.set_public_key(pk);
    rotate_req.set_old_until_ms(until);
    rotate_req.set_author(ctx.author);
    RETURN_IF_ERROR(connect());
    ASSIGN_OR_RETURN(v1::EnrollmentBundle bundle, Call(&v1::Admin::Stub::RotateKey, client->admin(), rotate_req));
    if (!rotate_out.empty()) RETURN_IF_ERROR(store::ReplaceFileDurably(rotate_out, bundle.SerializeAsString()));
    v1::KeysRequest kq;
    kq.set_unit(rotate_req.unit());
    ASSIGN_OR_RETURN(v1::KeysReply keys, Call(&v1::Admin::Stub::Keys, client->admin(), kq));
    if (ctx.json) {
      std::cout << nlohmann::json{{"unit", rotate_req.unit()}, {"file", rotate_out}, {"keys", KeysJson(keys.keys())}}
                       .dump(2)
                << "\n";
      return absl::OkStatus();
    }
    const bool zh = ctx.lang() == Lang::kZh;
    std::cout << (zh ? "已换发密钥 " : "key rotated for ") << rotate_req.unit()
              << (rotate_out.empty() ? "" : absl::StrCat(" → ", rotate_out)) << "\n"
              << RenderKeys(ctx.lang(), keys.keys(), std::time(nullptr) * 1000LL, "  ");
    return absl::OkStatus();
  });

  auto* revoke = key->add_subcommand(
      "revoke", "at a unit above: stop accepting a unit's key from a stated time (a stolen laptop)");
  revoke->add_option("--unit", *revoke_req.mutable_unit(), "the unit whose key is revoked (below this node)")
      ->required();
  revoke->add_option("--public-key", revoke_pk, "the key to revoke (hex; default every key of the unit)");
  revoke->add_option("--from", revoke_from,
                     "nothing signed with it at or after this time is accepted (local time; default now)");
  revoke->add_option("--reason", *revoke_req.mutable_reason(), "why (e.g. 笔记本电脑被盗)")->required();
  on_run(revoke, [this]() -> absl::Status {
    if (!revoke_pk.empty()) {
      ASSIGN_OR_RETURN(std::string pk, record::FromHex(revoke_pk, "public-key"));
      revoke_req.set_public_key(pk);
    }
    ASSIGN_OR_RETURN(int64_t from, ParseLocalTime(revoke_from, "from"));
    revoke_req.set_from_ms(from);
    revoke_req.set_author(ctx.author);
    RETURN_IF_ERROR(connect());
    ASSIGN_OR_RETURN(v1::AppendBatchReply r, Call(&v1::Admin::Stub::RevokeKey, client->admin(), revoke_req));
    v1::KeysRequest kq;
    kq.set_unit(revoke_req.unit());
    ASSIGN_OR_RETURN(v1::KeysReply keys, Call(&v1::Admin::Stub::Keys, client->admin(), kq));
    if (ctx.json) {
      std::cout << nlohmann::json{{"unit", revoke_req.unit()}, {"revocations", r.replies_size()},
                                  {"keys", KeysJson(keys.keys())}}
                       .dump(2)
                << "\n";
      return absl::OkStatus();
    }
    const bool zh = ctx.lang() == Lang::kZh;
    std::cout << (zh ? "已吊销 " : "revoked ") << r.replies_size() << (zh ? " 个密钥: " : " key(s) of ")
              << revoke_req.unit()
              << (zh ? " (吊销记录随同步下发与上报, 所到之处拒收其后签名的记录)\n"
                     : " (the revocation travels with sync; wherever it reaches, later records signed so are refused)\n")
              << RenderKeys(ctx.lang(), keys.keys(), std::time(nullptr) * 1000LL, "  ");
    return absl::OkStatus();
  });

  auto* history = key->add_subcommand("history", "each unit's keys: validity, enroller, revocation");
  history->add_option("--unit", history_unit, "one unit (default this unit and every unit below it)");
  on_run(history, [this]() -> absl::Status {
    RETURN_IF_ERROR(connect());
    v1::KeysRequest kq;
    kq.set_unit(history_unit);
    ASSIGN_OR_RETURN(v1::KeysReply keys, Call(&v1::Admin::Stub::Keys, client->admin(), kq));
    if (ctx.json) {
      nlohmann::json j{{"keys", KeysJson(keys.keys())}};
      if (!keys.next_public_key().empty()) j["next_public_key"] = record::ToHex(keys.next_public_key());
      std::cout << j.dump(2) << "\n";
      return absl::OkStatus();
    }
    std::cout << RenderKeys(ctx.lang(), keys.keys(), std::time(nullptr) * 1000LL, "");
    if (!keys.next_public_key().empty()) {
      std::cout << (ctx.lang() == Lang::kZh ? "待启用的新密钥 (等待上级入网): " : "next key (waiting for its enrolment): ")
                << record::ToHex(keys.next_public_key()).substr(0, 16) << "\n";
    }
    return absl::OkStatus();
  });
}

}  // namespace

std::unique_ptr<CommandGroup> AddKeyCommands(CLI::App& app, Session& session) {
  return std::make_unique<KeyCommands>(app, session);
}

}  // namespace rectsync::cli
