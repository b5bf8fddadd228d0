#include "node/console/officers.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "aggregator/status_macros.h"
#include "node/store/durable_file.h"

namespace rectsync::console {
namespace {

constexpr size_t kMinPassword = 8;

absl::Status CheckName(const std::string& name) {
  if (name.empty() || name.size() > 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("officer name \"", name, "\": must be 1 to 32 characters"));
  }
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) {
      return absl::InvalidArgumentError(absl::StrCat(
          "officer name \"", name, "\": only lower-case letters, digits, '.', '_' and '-'"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> HashPassword(const std::string& password) {
  if (password.size() < kMinPassword) {
    return absl::InvalidArgumentError(
        absl::StrCat("password: at least ", kMinPassword, " characters (got ", password.size(), ")"));
  }
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return absl::ResourceExhaustedError("password hashing ran out of memory (Argon2id needs 64 MiB)");
  }
  return std::string(out);
}

nlohmann::json ToJson(const std::vector<Officer>& officers) {
  nlohmann::json list = nlohmann::json::array();
  for (const Officer& o : officers) {
    list.push_back({{"name", o.name},
                    {"display", o.display},
                    {"role", RoleName(o.role)},
                    {"disabled", o.disabled},
                    {"password_hash", o.password_hash},
                    {"created_ms", o.created_ms},
                    {"updated_ms", o.updated_ms}});
  }
  return {{"version", 1}, {"officers", list}};
}

absl::StatusOr<std::vector<Officer>> FromJson(const std::string& text, const std::string& path) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("officers") ||
      !doc["officers"].is_array()) {
    return absl::DataLossError(absl::StrCat(path, ": not an officers file (bad JSON)"));
  }
  std::vector<Officer> out;
  for (const nlohmann::json& j : doc["officers"]) {
    Officer o;
    if (!j.is_object() || !j.value("name", nlohmann::json()).is_string()) {
      return absl::DataLossError(absl::StrCat(path, ": an entry without a name"));
    }
    o.name = j["name"].get<std::string>();
    o.display = j.value("display", "");
    ASSIGN_OR_RETURN(o.role, ParseRole(j.value("role", "")));
    o.disabled = j.value("disabled", false);
    o.password_hash = j.value("password_hash", "");
    o.created_ms = j.value("created_ms", int64_t{0});
    o.updated_ms = j.value("updated_ms", int64_t{0});
    out.push_back(std::move(o));
  }
  return out;
}

absl::Status Errno(const std::string& what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case Role::kViewer: return "viewer";
    case Role::kClerk: return "clerk";
    case Role::kReviewer: return "reviewer";
    case Role::kAdmin: return "admin";
  }
  return "viewer";
}

absl::StatusOr<Role> ParseRole(const std::string& name) {
  for (Role r : {Role::kViewer, Role::kClerk, Role::kReviewer, Role::kAdmin}) {
    if (name == RoleName(r)) return r;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("role \"", name, "\" is not one of viewer clerk reviewer admin"));
}

bool CanWrite(Role role) { return role == Role::kClerk || role == Role::kAdmin; }
bool CanReview(Role role) { return role == Role::kReviewer || role == Role::kAdmin; }

std::string Author(const Officer& officer) {
  return officer.display.empty() ? officer.name : absl::StrCat(officer.display, " (", officer.name, ")");
}

OfficerStore::OfficerStore(std::string data_dir)
    : dir_(std::move(data_dir)), path_(dir_ + "/officers.json") {}

absl::Status OfficerStore::RefreshLocked() const {
  struct stat st;
  if (::stat(path_.c_str(), &st) != 0) {
    if (errno != ENOENT) return Errno(absl::StrCat("cannot read ", path_));
    officers_.clear();
    loaded_mtime_ns_ = loaded_size_ = 0;
    return absl::OkStatus();
  }
  const int64_t mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  if (mtime_ns == loaded_mtime_ns_ && st.st_size == loaded_size_) return absl::OkStatus();
  std::ifstream in(path_, std::ios::binary);
  if (!in) return Errno(absl::StrCat("cannot read ", path_));
  std::ostringstream text;
  text << in.rdbuf();
  ASSIGN_OR_RETURN(officers_, FromJson(text.str(), path_));
  loaded_mtime_ns_ = mtime_ns;
  loaded_size_ = st.st_size;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Officer>> OfficerStore::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(RefreshLocked());
  return officers_;
}

absl::StatusOr<std::optional<Officer>> OfficerStore::Find(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(RefreshLocked());
  for (const Officer& o : officers_) {
    if (o.name == name) return o;
  }
  return std::nullopt;
}

absl::Status OfficerStore::Modify(const std::string& name,
                                  const std::function<absl::Status(std::vector<Officer>*)>& change) {
  RETURN_IF_ERROR(CheckName(name));
  const std::string lock_path = dir_ + "/officers.lock";
  int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0) return Errno(absl::StrCat("cannot open ", lock_path));
  if (::flock(lock_fd, LOCK_EX) != 0) {
    absl::Status s = Errno(absl::StrCat("cannot lock ", lock_path));
    ::close(lock_fd);
    return s;
  }
  absl::Status result = [&]() -> absl::Status {
    std::lock_guard<std::mutex> lock(mu_);
    loaded_mtime_ns_ = -1;  // another process may have written: read afresh
    RETURN_IF_ERROR(RefreshLocked());
    std::vector<Officer> next = officers_;
    RETURN_IF_ERROR(change(&next));
    std::sort(next.begin(), next.end(),
              [](const Officer& a, const Officer& b) { return a.name < b.name; });
    RETURN_IF_ERROR(store::ReplaceFileDurably(path_, ToJson(next).dump(2) + "\n"));
    loaded_mtime_ns_ = -1;
    return RefreshLocked();
  }();
  ::close(lock_fd);  // releases the flock
  return result;
}

absl::Status OfficerStore::Add(const std::string& name, const std::string& display, Role role,
                               const std::string& password, int64_t now_ms) {
  ASSIGN_OR_RETURN(std::string hash, HashPassword(password));
  return Modify(name, [&](std::vector<Officer>* all) -> absl::Status {
    for (const Officer& o : *all) {
      if (o.name == name) {
        return absl::AlreadyExistsError(absl::StrCat("officer \"", name, "\" already exists"));
      }
    }
    Officer o;
    o.name = name;
    o.display = display;
    o.role = role;
    o.password_hash = hash;
    o.created_ms = o.updated_ms = now_ms;
    all->push_back(std::move(o));
    return absl::OkStatus();
  });
}

namespace {
absl::Status Update(std::vector<Officer>* all, const std::string& name,
                    const std::function<void(Officer*)>& f) {
  for (Officer& o : *all) {
    if (o.name == name) {
      f(&o);
      return absl::OkStatus();
    }
  }
  return absl::NotFoundError(absl::StrCat("no officer \"", name, "\" on this node"));
}
}  // namespace

absl::Status OfficerStore::SetPassword(const std::string& name, const std::string& password,
                                       int64_t now_ms) {
  ASSIGN_OR_RETURN(std::string hash, HashPassword(password));
  return Modify(name, [&](std::vector<Officer>* all) {
    return Update(all, name, [&](Officer* o) {
      o->password_hash = hash;
      o->updated_ms = now_ms;
    });
  });
}

absl::Status OfficerStore::SetDisabled(const std::string& name, bool disabled, int64_t now_ms) {
  return Modify(name, [&](std::vector<Officer>* all) {
    return Update(all, name, [&](Officer* o) {
      o->disabled = disabled;
      o->updated_ms = now_ms;
    });
  });
}

absl::Status OfficerStore::SetRole(const std::string& name, Role role, int64_t now_ms) {
  return Modify(name, [&](std::vector<Officer>* all) {
    return Update(all, name, [&](Officer* o) {
      o->role = role;
      o->updated_ms = now_ms;
    });
  });
}

absl::StatusOr<Officer> OfficerStore::Authenticate(const std::string& name,
                                                   const std::string& password) const {
  ASSIGN_OR_RETURN(std::optional<Officer> found, Find(name));
  const absl::Status refused = absl::UnauthenticatedError("wrong officer name or password");
  if (!found || found->password_hash.empty()) {
    // Spend the same time as a real check, so that timing does not tell
    // which names exist.
    std::lock_guard<std::mutex> lock(hash_mu_);
    (void)HashPassword(password.size() < kMinPassword ? std::string(kMinPassword, 'x') : password);
    return refused;
  }
  {
    std::lock_guard<std::mutex> lock(hash_mu_);
    if (crypto_pwhash_str_verify(found->password_hash.c_str(), password.data(), password.size()) != 0) {
      return refused;
    }
  }
  if (found->disabled) {
    return absl::PermissionDeniedError(
        absl::StrCat("officer \"", name, "\" is disabled on this node; ask its administrator"));
  }
  return *found;
}

}  // namespace rectsync::console
