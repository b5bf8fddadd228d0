#include <functional>
#include <sstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "aggregator/status_macros.h"
#include "aggregator/unit_id.h"
#include "node/cli/render.h"
#include "node/console/console_impl.h"
#include "node/console/forms.h"
#include "node/console/html.h"
#include "node/console/pages.h"
#include "node/ledger/formats.h"
#include "node/record/codec.h"
#include "node/record/keys.h"
#include "rocksdb/db.h"

namespace rectsync::console {

// /healthz and /metrics (no login; loopback or TLS only).
void Console::Impl::OperationsRoutes() {
  server_->Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    absl::StatusOr<store::Head> head = node_->store()->GetHead(node_->unit());
    res.status = head.ok() ? 200 : 503;
    res.set_content(head.ok() ? absl::StrCat("ok ", node_->unit(), " head ", head->seq, "\n")
                              : absl::StrCat("unhealthy: ", head.status().message(), "\n"),
                    "text/plain");
  });
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    std::ostringstream m;
    m.precision(15);  // counts and byte sizes print whole, not as 3.7e+08
    const std::string unit = node_->unit();
    auto labels = [&](const std::string& extra) { return absl::StrCat("{unit=\"", unit, "\"", extra, "}"); };
    // One metric: its HELP and TYPE lines, then one sample per label set.
    auto metric = [&](const char* name, const char* type, const char* help,
                      const std::vector<std::pair<std::string, double>>& samples) {
      m << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
      for (const auto& [extra, value] : samples) m << name << labels(extra) << " " << value << "\n";
    };
    auto one = [](double value) { return std::vector<std::pair<std::string, double>>{{"", value}}; };

    absl::StatusOr<std::vector<std::pair<std::string, store::Head>>> heads = node_->store()->Heads();
    uint64_t records = 0;
    if (heads.ok()) for (const auto& [origin, head] : *heads) records += head.seq;
    metric("rectsync_records", "gauge", "Records held (sum of per-origin head seqs).", one(records));
    metric("rectsync_origins", "gauge", "Origins with records held.", one(heads.ok() ? heads->size() : 0));
    absl::StatusOr<v1::SyncStatusReply> sync = node_->SyncStatus();
    if (sync.ok()) {
      // A per-link metric: `value` of each link, labelled with its direction and peer.
      auto per_link = [&](const char* name, const char* type, const char* help,
                          const std::function<double(const v1::LinkStatus&)>& value) {
        std::vector<std::pair<std::string, double>> samples;
        for (const v1::LinkStatus& l : sync->links()) {
          samples.emplace_back(absl::StrCat(",direction=\"", l.direction(), "\",peer=\"", l.peer(), "\""), value(l));
        }
        metric(name, type, help, samples);
      };
      per_link("rectsync_link_records_received_total", "counter", "Records stored from the peer.",
               [](const v1::LinkStatus& l) { return l.records_received(); });
      per_link("rectsync_link_records_sent_total", "counter", "Records pushed and receipted.",
               [](const v1::LinkStatus& l) { return l.records_sent(); });
      per_link("rectsync_link_refusals_total", "counter", "Batches refused.",
               [](const v1::LinkStatus& l) { return l.refusals(); });
      per_link("rectsync_link_pending_records", "gauge", "Records not yet receipted by the parent.",
               [](const v1::LinkStatus& l) { return l.pending(); });
      per_link("rectsync_link_lag_seconds", "gauge", "Age of the oldest record not yet receipted.",
               [](const v1::LinkStatus& l) { return l.lag_ms() / 1000.0; });
      per_link("rectsync_link_last_contact_timestamp_seconds", "gauge", "Last call that reached the peer.",
               [](const v1::LinkStatus& l) { return l.last_contact_ms() / 1000.0; });
      metric("rectsync_forks", "gauge", "Forks held with proof.", one(sync->forks_size()));
    }
    uint64_t sst = 0;
    node_->store()->db()->GetIntProperty("rocksdb.total-sst-files-size", &sst);
    metric("rectsync_rocksdb_sst_bytes", "gauge", "Size of the store's SST files.", one(sst));
    metric("rectsync_console_sessions", "gauge", "Console sessions open.", one(sessions_.size()));
    res.set_content(m.str(), "text/plain; version=0.0.4");
  });
}

}  // namespace rectsync::console
