#include "node/daemon/config.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <toml++/toml.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "aggregator/status_macros.h"
#include "aggregator/unit_id.h"
#include "node/store/durable_file.h"

namespace rectsync::node {

std::string NodeOptions::AdminSocketPath() const {
  if (!admin_socket.empty() && admin_socket[0] == '/') return admin_socket;
  return data_dir + "/" + admin_socket;
}

absl::StatusOr<NodeOptions> LoadConfig(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::string file = fs::is_directory(path, ec) ? path + "/node.toml" : path;
  toml::table t;
  try {
    t = toml::parse_file(file);
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": ", std::string(e.description()),
                                                   " at line ", static_cast<int64_t>(e.source().begin.line)));
  }
  NodeOptions o;
  o.data_dir = fs::absolute(fs::path(file).parent_path(), ec).string();
  auto bad = [&](absl::string_view key, absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": ", key, " ", why));
  };
  for (const auto& [key, value] : t) {
    static const char* kKnown[] = {"unit", "yellow_days", "sync_writes", "max_clock_skew_ms",
                                   "admin_socket", "listen", "parent", "parent_unit",
                                   "failover", "failover_unit", "failover_after_ms",
                                   "plaintext", "tls_cert", "tls_key", "tls_ca",
                                   "push_interval_ms", "pull_wait_ms", "backoff_min_ms",
                                   "backoff_max_ms", "batch_records", "max_message_mb",
                                   "call_timeout_ms", "advertise", "attest_interval_ms", "uplink",
                                   "enrolment_grace_ms", "console_listen", "console_session_idle_ms",
                                   "console_stale_after_ms"};
    bool known = false;
    for (const char* k : kKnown) known |= key.str() == k;
    if (!known) return bad(std::string(key.str()), "is not a known setting");
  }
  if (auto v = t["unit"].value<std::string>()) o.unit = *v;
  if (o.unit.empty()) return bad("unit", "must be set");
  if (absl::Status s = aggregator::ValidateUnitId(o.unit, "unit"); !s.ok()) {
    return bad("unit", s.message());
  }
  if (t.contains("yellow_days")) {
    auto v = t["yellow_days"].value<int64_t>();
    if (!v || *v < 0 || *v > 365) return bad("yellow_days", "must be an integer 0..365");
    o.yellow_days = static_cast<int>(*v);
  }
  if (t.contains("sync_writes")) {
    auto v = t["sync_writes"].value<bool>();
    if (!v) return bad("sync_writes", "must be true or false");
    o.sync_writes = *v;
  }
  if (t.contains("max_clock_skew_ms")) {
    auto v = t["max_clock_skew_ms"].value<int64_t>();
    if (!v || *v < 1000) return bad("max_clock_skew_ms", "must be an integer >= 1000");
    o.max_clock_skew_ms = *v;
  }
  if (t.contains("admin_socket")) {
    auto v = t["admin_socket"].value<std::string>();
    if (!v || v->empty()) return bad("admin_socket", "must be a non-empty path");
    o.admin_socket = *v;
  }
  auto str = [&](const char* key, std::string* out) -> absl::Status {
    if (!t.contains(key)) return absl::OkStatus();
    auto v = t[key].value<std::string>();
    if (!v) return bad(key, "must be a string");
    *out = *v;
    return absl::OkStatus();
  };
  auto num = [&](const char* key, int64_t lo, int64_t hi, int64_t* out) -> absl::Status {
    if (!t.contains(key)) return absl::OkStatus();
    auto v = t[key].value<int64_t>();
    if (!v || *v < lo || *v > hi) return bad(key, absl::StrCat("must be an integer ", lo, "..", hi));
    *out = *v;
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(str("listen", &o.listen));
  RETURN_IF_ERROR(str("parent", &o.parent));
  RETURN_IF_ERROR(str("advertise", &o.advertise));
  RETURN_IF_ERROR(str("console_listen", &o.console_listen));
  RETURN_IF_ERROR(num("console_session_idle_ms", 60000, 7LL * 86400000, &o.console_session_idle_ms));
  RETURN_IF_ERROR(num("console_stale_after_ms", 1000, 365LL * 86400000, &o.console_stale_after_ms));
  RETURN_IF_ERROR(str("uplink", &o.uplink));
  if (o.uplink != "full" && o.uplink != "summary") return bad("uplink", "must be \"full\" or \"summary\"");
  RETURN_IF_ERROR(num("attest_interval_ms", 0, 86400000, &o.attest_interval_ms));
  RETURN_IF_ERROR(str("parent_unit", &o.parent_unit));
  RETURN_IF_ERROR(str("failover", &o.failover));
  RETURN_IF_ERROR(str("failover_unit", &o.failover_unit));
  RETURN_IF_ERROR(num("failover_after_ms", 1000, 7LL * 86400000, &o.failover_after_ms));
  RETURN_IF_ERROR(str("tls_cert", &o.tls_cert));
  RETURN_IF_ERROR(str("tls_key", &o.tls_key));
  RETURN_IF_ERROR(str("tls_ca", &o.tls_ca));
  if (t.contains("plaintext")) {
    auto v = t["plaintext"].value<bool>();
    if (!v) return bad("plaintext", "must be true or false");
    o.plaintext = *v;
  }
  RETURN_IF_ERROR(num("push_interval_ms", 10, 3600000, &o.push_interval_ms));
  RETURN_IF_ERROR(num("pull_wait_ms", 0, 600000, &o.pull_wait_ms));
  RETURN_IF_ERROR(num("backoff_min_ms", 1, 3600000, &o.backoff_min_ms));
  RETURN_IF_ERROR(num("backoff_max_ms", 1, 3600000, &o.backoff_max_ms));
  RETURN_IF_ERROR(num("batch_records", 1, 100000, &o.batch_records));
  RETURN_IF_ERROR(num("max_message_mb", 1, 1024, &o.max_message_mb));
  RETURN_IF_ERROR(num("call_timeout_ms", 100, 3600000, &o.call_timeout_ms));
  RETURN_IF_ERROR(num("enrolment_grace_ms", 0, 30LL * 86400000, &o.enrolment_grace_ms));
  if (o.backoff_max_ms < o.backoff_min_ms) return bad("backoff_max_ms", "must be >= backoff_min_ms");
  if (!o.parent_unit.empty()) {
    if (absl::Status s = aggregator::ValidateUnitId(o.parent_unit, "parent_unit"); !s.ok()) {
      return bad("parent_unit", s.message());
    }
    if (!aggregator::StrictlyBelow(o.unit, o.parent_unit)) {
      return bad("parent_unit", absl::StrCat("\"", o.parent_unit, "\" is not above \"", o.unit, "\""));
    }
  } else if (!o.parent.empty()) {
    o.parent_unit = aggregator::ParentUnit(o.unit);
    if (o.parent_unit.empty()) return bad("parent", "is set but this unit is a root");
  }
  if (!o.failover.empty() && o.parent.empty()) return bad("failover", "is set but parent is not");
  if (!o.failover_unit.empty() && o.failover.empty()) return bad("failover_unit", "is set but failover is not");
  if (!o.failover.empty()) {
    if (o.failover_unit.empty()) {
      o.failover_unit = aggregator::ParentUnit(o.parent_unit);
      if (o.failover_unit.empty()) return bad("failover", "is set but the parent is the root: there is no unit above it");
    }
    if (absl::Status s = aggregator::ValidateUnitId(o.failover_unit, "failover_unit"); !s.ok()) {
      return bad("failover_unit", s.message());
    }
    if (!aggregator::StrictlyBelow(o.parent_unit, o.failover_unit)) {
      return bad("failover_unit", absl::StrCat("\"", o.failover_unit, "\" is not above the parent \"", o.parent_unit, "\""));
    }
  }
  const bool tls = !o.tls_cert.empty() || !o.tls_key.empty() || !o.tls_ca.empty();
  if (tls && (o.tls_cert.empty() || o.tls_key.empty() || o.tls_ca.empty())) {
    return bad("tls_cert", "tls_cert, tls_key and tls_ca must be set together");
  }
  if (tls && o.plaintext) return bad("plaintext", "cannot be true when TLS files are set");
  if (!tls && (!o.listen.empty() || !o.parent.empty())) {
    if (!o.plaintext) {
      return bad("listen", "needs TLS (tls_cert, tls_key, tls_ca) or an explicit plaintext = true");
    }
    for (const std::string* addr : {&o.listen, &o.parent, &o.failover}) {
      if (!addr->empty() && !IsLoopback(*addr)) {
        return bad(addr == &o.listen ? "listen" : addr == &o.parent ? "parent" : "failover",
                   absl::StrCat("\"", *addr, "\" is not a loopback address; plaintext is loopback-only"));
      }
    }
  }
  // The console uses the node's certificate when it has one; without TLS
  // it serves loopback only, like the sync port.
  if (!o.console_listen.empty() && !tls && !IsLoopback(o.console_listen)) {
    return bad("console_listen", absl::StrCat("\"", o.console_listen,
                                              "\" is not a loopback address; without tls_cert and "
                                              "tls_key the console is loopback-only"));
  }
  return o;
}

bool IsLoopback(const std::string& address) {
  std::string host = address;
  if (absl::StartsWith(host, "ipv4:")) host = host.substr(5);
  if (absl::StartsWith(host, "ipv6:")) host = host.substr(5);
  if (absl::StartsWith(host, "[")) {
    size_t close = host.find(']');
    host = close == std::string::npos ? host : host.substr(1, close - 1);
  } else if (size_t colon = host.rfind(':'); colon != std::string::npos) {
    host = host.substr(0, colon);
  }
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

absl::Status WriteConfig(const NodeOptions& o) {
  toml::table t;
  t.insert("unit", o.unit);
  t.insert("yellow_days", o.yellow_days);
  t.insert("sync_writes", o.sync_writes);
  t.insert("max_clock_skew_ms", o.max_clock_skew_ms);
  t.insert("admin_socket", o.admin_socket);
  // Every other setting that differs from its default, so that rewriting a
  // node.toml keeps what an operator set.
  const NodeOptions d;
  auto str = [&](const char* key, const std::string& v, const std::string& def) {
    if (v != def) t.insert(key, v);
  };
  auto num = [&](const char* key, int64_t v, int64_t def) {
    if (v != def) t.insert(key, v);
  };
  num("enrolment_grace_ms", o.enrolment_grace_ms, d.enrolment_grace_ms);
  str("listen", o.listen, d.listen);
  str("advertise", o.advertise, d.advertise);
  str("uplink", o.uplink, d.uplink);
  str("console_listen", o.console_listen, d.console_listen);
  num("console_session_idle_ms", o.console_session_idle_ms, d.console_session_idle_ms);
  num("console_stale_after_ms", o.console_stale_after_ms, d.console_stale_after_ms);
  str("parent", o.parent, d.parent);
  if (o.parent_unit != aggregator::ParentUnit(o.unit)) str("parent_unit", o.parent_unit, d.parent_unit);
  str("failover", o.failover, d.failover);
  if (o.failover_unit != aggregator::ParentUnit(o.parent_unit)) str("failover_unit", o.failover_unit, d.failover_unit);
  num("failover_after_ms", o.failover_after_ms, d.failover_after_ms);
  if (o.plaintext) t.insert("plaintext", true);
  str("tls_cert", o.tls_cert, d.tls_cert);
  str("tls_key", o.tls_key, d.tls_key);
  str("tls_ca", o.tls_ca, d.tls_ca);
  num("push_interval_ms", o.push_interval_ms, d.push_interval_ms);
  num("pull_wait_ms", o.pull_wait_ms, d.pull_wait_ms);
  num("backoff_min_ms", o.backoff_min_ms, d.backoff_min_ms);
  num("backoff_max_ms", o.backoff_max_ms, d.backoff_max_ms);
  num("batch_records", o.batch_records, d.batch_records);
  num("max_message_mb", o.max_message_mb, d.max_message_mb);
  num("call_timeout_ms", o.call_timeout_ms, d.call_timeout_ms);
  num("attest_interval_ms", o.attest_interval_ms, d.attest_interval_ms);
  std::ostringstream text;
  text << "# rectsync node configuration (see README: Operating a node)\n" << t << "\n";
  // Replaced whole: a crash while writing leaves the old file, never half.
  return store::ReplaceFileDurably(o.ConfigPath(), text.str(), 0644);
}

}  // namespace rectsync::node
