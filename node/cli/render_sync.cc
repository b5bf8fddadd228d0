#include "node/cli/render_sync.h"

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
                     {"last_bundle_ms", l.last_bundle_ms()}});
  }
  nlohmann::json forks = nlohmann::json::array();
  for (const v1::ForkInfo& f : s.forks()) {
    forks.push_back({{"origin", f.origin()},
                     {"seq", f.seq()},
                     {"held_id", record::ToHex(f.held_id())},
                     {"other_id", record::ToHex(f.other_id())}});
  }
  return {{"unit", s.unit()}, {"now_ms", s.now_ms()},   {"links", links},
          {"forks", forks},   {"skewed_records", s.skewed_records()}};
}

std::string RenderSyncStatus(Lang lang, const v1::SyncStatusReply& s) {
  const bool zh = lang == Lang::kZh;
  std::ostringstream o;
  o << (zh ? "同步状态 · 单位 " : "sync status · unit ") << s.unit() << "\n";
  if (s.links().empty()) o << (zh ? "  (尚无同步链路)\n" : "  (no sync links yet)\n");
  for (const v1::LinkStatus& l : s.links()) {
    const bool up = l.direction() == "parent";
    o << "  " << (up ? (zh ? "上级 " : "parent ") : (zh ? "下级 " : "child  ")) << l.peer();
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
  return o.str();
}

}  // namespace rectsync::cli
