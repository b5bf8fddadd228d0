#include <sstream>

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
  // --- Operations: /healthz and /metrics (no login; loopback or TLS only). ---
  server_->Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    absl::StatusOr<store::Head> head = node_->store()->GetHead(node_->unit());
    res.status = head.ok() ? 200 : 503;
    res.set_content(head.ok() ? absl::StrCat("ok ", node_->unit(), " head ", head->seq, "\n")
                              : absl::StrCat("unhealthy: ", head.status().message(), "\n"),
                    "text/plain");
  });
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    std::ostringstream m;
    const std::string unit = node_->unit();
    auto labels = [&](const std::string& extra) { return absl::StrCat("{unit=\"", unit, "\"", extra, "}"); };
    absl::StatusOr<std::vector<std::pair<std::string, store::Head>>> heads = node_->store()->Heads();
    uint64_t records = 0;
    if (heads.ok()) for (const auto& [origin, head] : *heads) records += head.seq;
    m << "# HELP rectsync_records Records held (sum of per-origin head seqs).\n# TYPE rectsync_records gauge\n"
      << "rectsync_records" << labels("") << " " << records << "\n";
    m << "# HELP rectsync_origins Origins with records held.\n# TYPE rectsync_origins gauge\n"
      << "rectsync_origins" << labels("") << " " << (heads.ok() ? heads->size() : 0) << "\n";
    absl::StatusOr<v1::SyncStatusReply> sync = node_->SyncStatus();
    if (sync.ok()) {
      m << "# HELP rectsync_link_records_received_total Records stored from the peer.\n"
           "# TYPE rectsync_link_records_received_total counter\n";
      for (const v1::LinkStatus& l : sync->links()) {
        m << "rectsync_link_records_received_total"
          << labels(absl::StrCat(",direction=\"", l.direction(), "\",peer=\"", l.peer(), "\"")) << " "
          << l.records_received() << "\n";
      }
      m << "# HELP rectsync_link_records_sent_total Records pushed and receipted.\n"
           "# TYPE rectsync_link_records_sent_total counter\n";
      for (const v1::LinkStatus& l : sync->links()) {
        m << "rectsync_link_records_sent_total"
          << labels(absl::StrCat(",direction=\"", l.direction(), "\",peer=\"", l.peer(), "\"")) << " " << l.records_sent()
          << "\n";
      }
      m << "# HELP rectsync_link_refusals_total Batches refused.\n# TYPE rectsync_link_refusals_total counter\n";
      for (const v1::LinkStatus& l : sync->links()) {
        m << "rectsync_link_refusals_total"
          << labels(absl::StrCat(",direction=\"", l.direction(), "\",peer=\"", l.peer(), "\"")) << " " << l.refusals()
          << "\n";
      }
      m << "# HELP rectsync_link_pending_records Records not yet receipted by the parent.\n"
           "# TYPE rectsync_link_pending_records gauge\n";
      for (const v1::LinkStatus& l : sync->links()) {
        m << "rectsync_link_pending_records" << labels(absl::StrCat(",direction=\"", l.direction(), "\",peer=\"", l.peer(), "\""))
          << " " << l.pending() << "\n";
      }
      m << "# HELP rectsync_link_lag_seconds Age of the oldest record not yet receipted.\n"
           "# TYPE rectsync_link_lag_seconds gauge\n";
      for (const v1::LinkStatus& l : sync->links()) {
        m << "rectsync_link_lag_seconds" << labels(absl::StrCat(",direction=\"", l.direction(), "\",peer=\"", l.peer(), "\""))
          << " " << l.lag_ms() / 1000.0 << "\n";
      }
      m << "# HELP rectsync_link_last_contact_timestamp_seconds Last call that reached the peer.\n"
           "# TYPE rectsync_link_last_contact_timestamp_seconds gauge\n";
      for (const v1::LinkStatus& l : sync->links()) {
        m << "rectsync_link_last_contact_timestamp_seconds"
          << labels(absl::StrCat(",direction=\"", l.direction(), "\",peer=\"", l.peer(), "\"")) << " "
          << l.last_contact_ms() / 1000.0 << "\n";
      }
      m << "# HELP rectsync_forks Forks held with proof.\n# TYPE rectsync_forks gauge\n"
        << "rectsync_forks" << labels("") << " " << sync->forks_size() << "\n";
    }
    uint64_t sst = 0;
    node_->store()->db()->GetIntProperty("rocksdb.total-sst-files-size", &sst);
    m << "# HELP rectsync_rocksdb_sst_bytes Size of the store's SST files.\n# TYPE rectsync_rocksdb_sst_bytes gauge\n"
      << "rectsync_rocksdb_sst_bytes" << labels("") << " " << sst << "\n";
    m << "# HELP rectsync_console_sessions Console sessions open.\n# TYPE rectsync_console_sessions gauge\n"
      << "rectsync_console_sessions" << labels("") << " " << sessions_.size() << "\n";
    res.set_content(m.str(), "text/plain; version=0.0.4");
  });
}

}  // namespace rectsync::console
