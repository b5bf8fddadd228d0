#include "node/cli/render_reconcile.h"

#include <chrono>
#include <sstream>

#include "node/record/keys.h"

namespace rectsync::cli {
namespace {

const char* KindLabel(Lang lang, const std::string& kind) {
  const bool zh = lang == Lang::kZh;
  if (kind == "attested_counter") return zh ? "上报汇总与台账不符" : "attested summary differs from the records";
  if (kind == "missing_records") return zh ? "上报汇总所依据的记录缺失" : "records behind an attestation are missing";
  if (kind == "figure_vs_ledger") return zh ? "上报数字与台账不符" : "reported figure differs from the ledger";
  if (kind == "parts_vs_total") return zh ? "分项之和与总数不符" : "parts do not add up to the total";
  if (kind == "status_sum") return zh ? "各状态之和与问题数不符" : "status counts do not add up";
  return kind.c_str();
}

}  // namespace

nlohmann::json ReconcileJson(const v1::ReconcileReply& r) {
  nlohmann::json diffs = nlohmann::json::array();
  for (const v1::Difference& d : r.differences()) {
    diffs.push_back({{"kind", d.kind()},
                     {"unit", d.unit()},
                     {"key", d.key()},
                     {"stated", d.stated()},
                     {"recorded", d.recorded()},
                     {"detail", d.detail()},
                     {"records", std::vector<std::string>(d.records().begin(), d.records().end())}});
  }
  return {{"unit", r.unit()},
          {"attestations_checked", r.attestations_checked()},
          {"figures_checked", r.figures_checked()},
          {"differences", diffs}};
}

std::string RenderReconcile(Lang lang, const v1::ReconcileReply& r) {
  const bool zh = lang == Lang::kZh;
  std::ostringstream o;
  o << (zh ? "对账 · 单位 " : "reconciliation · unit ") << r.unit() << "\n  "
    << (zh ? "核对上报汇总: " : "attestations checked: ") << r.attestations_checked()
    << (zh ? " | 核对上报数字: " : " | figures checked: ") << r.figures_checked() << "\n";
  if (r.differences().empty()) {
    o << (zh ? "  账实相符, 无差异\n" : "  no differences: what units state matches their records\n");
    return o.str();
  }
  o << (zh ? "  差异 " : "  differences: ") << r.differences_size() << "\n";
  for (const v1::Difference& d : r.differences()) {
    o << "  - " << KindLabel(lang, d.kind()) << "  " << d.unit() << "  " << d.key() << ": "
      << (zh ? "上报 " : "stated ") << d.stated() << (zh ? " / 台账 " : " / recorded ") << d.recorded()
      << "\n    " << d.detail() << "\n";
    for (const std::string& rec : d.records()) o << "      " << rec << "\n";
  }
  return o.str();
}

std::string RenderProvenance(Lang lang, const v1::Summary& s) {
  const bool zh = lang == Lang::kZh;
  std::ostringstream o;
  if (!s.answered_by().empty()) {
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    o.precision(1);
    o << std::fixed << (zh ? "  数据来源: " : "  answered by: ") << s.answered_by()
      << (s.live() ? (zh ? " (实时)" : " (live)") : (zh ? " (本节点台账)" : " (this node's ledger)"))
      << (zh ? ", " : ", computed ") << (now - s.as_of_ms()) / 1000.0 << (zh ? " 秒前计算\n" : " s ago\n");
  }
  if (!s.frontier().empty()) {
    uint64_t records = 0;
    for (const auto& f : s.frontier()) records += f.seq();
    o << (zh ? "  反映记录: " : "  reflects: ") << records << (zh ? " 条, 来自 " : " records from ")
      << s.frontier_size() << (zh ? " 个来源单位\n" : " origins\n");
    for (const auto& f : s.frontier()) {
      o << "    " << f.origin() << " #" << f.seq() << " " << record::ToHex(f.head()).substr(0, 12) << "\n";
    }
  }
  return o.str();
}

}  // namespace rectsync::cli
