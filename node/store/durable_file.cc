#include "node/store/durable_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace rectsync::store {
namespace {

absl::Status Errno(const std::string& what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

}  // namespace

absl::Status ReplaceFileDurably(const std::string& path, const std::string& data, mode_t mode) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Errno(absl::StrCat("cannot write ", tmp));
  auto fail = [&](const std::string& what) {
    absl::Status s = Errno(what);
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  };
  for (size_t done = 0; done < data.size();) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(absl::StrCat("cannot write ", tmp));
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return fail(absl::StrCat("cannot sync ", tmp));
  if (::close(fd) != 0) {
    fd = -1;
    return fail(absl::StrCat("cannot write ", tmp));
  }
  fd = -1;
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail(absl::StrCat("cannot replace ", path));
  std::string dir = std::filesystem::path(path).parent_path().string();
  return SyncDirectory(dir.empty() ? "." : dir);
}

absl::Status SyncDirectory(const std::string& dir) {
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return Errno(absl::StrCat("cannot open directory ", dir));
  const bool ok = ::fsync(dfd) == 0;
  ::close(dfd);
  if (!ok) return Errno(absl::StrCat("cannot sync directory ", dir));
  return absl::OkStatus();
}

}  // namespace rectsync::store
