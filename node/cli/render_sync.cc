#include "node/cli/render_sync.h"

#include <ctime>
#include <sstream>

#include "node/record/keys.h"

namespace rectsync::cli {
namespace {

// "3.2 s ago", or "never".
std::string Ago(Lang lang, int64_t now_ms, int64_t then_ms) {
  const bool zh = lang == Lang::kZh;
  if (then_ms <= 0) return zh ? "从未" : "never";
  std::ostringstream o;
  o.precision(1);
  o << std::fixed << (now_ms - then_ms) / 1000.0 << (zh ? " 秒前" : " s ago");
  return o.str();
}

}  // namespace

std::string MillisTime(int64_t ms) {
  if (ms <= 0) return "—";
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

nlohmann::json KeysJson(const google::protobuf::RepeatedPtrField<v1::KeyInfo>& keys) {
  nlohmann::json out = nlohmann::json::array();
  for (const v1::KeyInfo& k : keys) {
    out.push_back({{"unit", k.unit()},
                   {"public_key", record::ToHex(k.public_key())},
                   {"valid_from_ms", k.valid_from_ms()},
                   {"valid_until_ms", k.valid_until_ms()},
                   {"enroller", k.enroller()},
                   {"revoked_from_ms", k.revoked_from_ms()},
                   {"revoked_by", k.revoked_by()},
                   {"revoke_reason", k.revoke_reason()},
                   {"in_use", k.in_use()}});
  }
  return out;
}

std::string RenderKeys(Lang lang, const google::protobuf::RepeatedPtrField<v1::KeyInfo>& keys, int64_t now_ms,
                       const std::string& indent) {
  const bool zh = lang == Lang::kZh;
  std::ostringstream o;
  std::string unit;
  for (const v1::KeyInfo& k : keys) {
    if (k.unit() != unit) {
      unit = k.unit();
      o << indent << unit << "\n";
    }
    const bool revoked = k.revoked_from_ms() > 0 && k.revoked_from_ms() <= now_ms;
    const bool expired = k.valid_until_ms() > 0 && k.valid_until_ms() <= now_ms;
    const char* state = revoked   ? (zh ? "已吊销" : "revoked")
                        : expired ? (zh ? "已过期" : "expired")
                                  : (zh ? "有效" : "valid");
    o << indent << "  " << record::ToHex(k.public_key()).substr(0, 16) << "  " << state
      << (k.in_use() ? (zh ? " (本节点正在使用)" : " (this node signs with it)") : "") << "\n"
      << indent << "    " << (zh ? "自 " : "from ") << MillisTime(k.valid_from_ms());
    if (k.valid_until_ms() > 0) o << (zh ? " 至 " : " until ") << MillisTime(k.valid_until_ms());
    o << (zh ? " · 入网单位 " : " · enrolled by ") << k.enroller() << "\n";
    if (k.revoked_from_ms() > 0) {
      o << indent << "    " << (zh ? "吊销自 " : "revoked from ") << MillisTime(k.revoked_from_ms())
        << (zh ? " · 由 " : " · by ") << k.revoked_by() << (zh ? " · 原因: " : " · reason: ")
        << k.revoke_reason() << "\n";
    }
  }
  return o.str();
}

nlohmann::json SyncStatusJson(const v1::SyncStatusReply& s) {
  nlohmann::json links = nlohmann::json::array();
  for (const v1::LinkStatus& l : s.links()) {
    links.push_back({{"direction", l.direction()},
                     {"peer", l.peer()},
                     {"address", l.address()},
                     {"last_contact_ms", l.last_contact_ms()},
                     {"last_success_ms", l.last_success_ms()},
                     {"last_error", l.last_error()},
                     {"records_sent", l.records_sent()},
                     {"records_received", l.records_received()},
                     {"refusals", l.refusals()},
                     {"last_refusal", l.last_refusal()},
                     {"pending", l.pending()},
                     {"lag_ms", l.lag_ms()},
                     {"bundles", l.bundles()},
                     {"last_bundle_ms", l.last_bundle_ms()},
                     {"failover", l.failover()}});
  }
  nlohmann::json forks = nlohmann::json::array();
  for (const v1::ForkInfo& f : s.forks()) {
    forks.push_back({{"origin", f.origin()},
                     {"seq", f.seq()},
                     {"held_id", record::ToHex(f.held_id())},
                     {"other_id", record::ToHex(f.other_id())}});
  }
  return {{"unit", s.unit()}, {"now_ms", s.now_ms()},   {"links", links},
          {"forks", forks},   {"skewed_records", s.skewed_records()}, {"keys", KeysJson(s.keys())},
          {"write_fault", s.write_fault()}};
}

std::string RenderSyncStatus(Lang lang, const v1::SyncStatusReply& s) {
  const bool zh = lang == Lang::kZh;
  std::ostringstream o;
  o << (zh ? "同步状态 · 单位 " : "sync status · unit ") << s.unit() << "\n";
  if (!s.write_fault().empty()) {
    o << "  " << (zh ? "存储拒绝写入: " : "writes refused: ") << s.write_fault() << "\n";
  }
  if (s.links().empty()) o << (zh ? "  (尚无同步链路)\n" : "  (no sync links yet)\n");
  for (const v1::LinkStatus& l : s.links()) {
    const bool up = l.direction() == "parent";
    o << "  "
      << (up ? (l.failover() ? (zh ? "备用上级 " : "failover parent ") : (zh ? "上级 " : "parent "))
             : (zh ? "下级 " : "child  "))
      << l.peer();
    if (!l.address().empty()) o << " @ " << l.address();
    o << "\n    " << (zh ? "最近联系: " : "last contact: ") << Ago(lang, s.now_ms(), l.last_contact_ms())
      << (zh ? " | 最近成功: " : " | last success: ") << Ago(lang, s.now_ms(), l.last_success_ms());
    if (up) {
      o << "\n    " << (zh ? "已上报: " : "sent: ") << l.records_sent()
        << (zh ? " | 待上报: " : " | pending: ") << l.pending()
        << (zh ? " | 滞后: " : " | lag: ") << l.lag_ms() / 1000.0 << (zh ? " 秒" : " s")
        << (zh ? " | 已接收: " : " | received: ") << l.records_received();
    } else {
      o << "\n    " << (zh ? "已接收: " : "received: ") << l.records_received();
    }
    o << (zh ? " | 拒收批次: " : " | refused batches: ") << l.refusals() << "\n";
    if (l.last_bundle_ms() > 0) {
      o << "    " << (zh ? "离线包: 已导入 " : "offline bundles: imported ") << l.bundles()
        << (zh ? " | 最近: " : " | last: ") << Ago(lang, s.now_ms(), l.last_bundle_ms()) << "\n";
    }
    if (!l.last_refusal().empty()) {
      o << "    " << (zh ? "最近拒收: " : "last refusal: ") << l.last_refusal() << "\n";
    }
    if (!l.last_error().empty()) {
      o << "    " << (zh ? "最近错误: " : "last error: ") << l.last_error() << "\n";
    }
  }
  if (!s.forks().empty()) {
    o << (zh ? "  分叉(已冻结来源):\n" : "  forks (origins frozen):\n");
    for (const v1::ForkInfo& f : s.forks()) {
      o << "    " << f.origin() << "#" << f.seq() << "  " << (zh ? "保留 " : "held ")
        << record::ToHex(f.held_id()).substr(0, 12) << "  " << (zh ? "冲突 " : "other ")
        << record::ToHex(f.other_id()).substr(0, 12) << "\n";
    }
  }
  if (s.skewed_records() > 0) {
    o << "  " << (zh ? "时钟超前记录: " : "records stamped ahead of the clock: ") << s.skewed_records()
      << "\n";
  }
  if (!s.keys().empty()) {
    o << (zh ? "  密钥(本单位与各链路单位):\n" : "  keys (this unit and each linked unit):\n")
      << RenderKeys(lang, s.keys(), s.now_ms(), "    ");
  }
  return o.str();
}

}  // namespace rectsync::cli
