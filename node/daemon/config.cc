#include "node/daemon/config.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <toml++/toml.h>

#include "absl/strings/str_cat.h"
#include "aggregator/status_macros.h"
#include "aggregator/unit_id.h"

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
                                   "admin_socket", "listen"};
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
  if (auto v = t["listen"].value<std::string>()) o.listen = *v;
  return o;
}

absl::Status WriteConfig(const NodeOptions& o) {
  toml::table t;
  t.insert("unit", o.unit);
  t.insert("yellow_days", o.yellow_days);
  t.insert("sync_writes", o.sync_writes);
  t.insert("max_clock_skew_ms", o.max_clock_skew_ms);
  t.insert("admin_socket", o.admin_socket);
  if (!o.listen.empty()) t.insert("listen", o.listen);
  std::ofstream out(o.ConfigPath());
  out << "# rectsync node configuration (see README: Operating a node)\n" << t << "\n";
  out.close();
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", o.ConfigPath()));
  return absl::OkStatus();
}

}  // namespace rectsync::node
