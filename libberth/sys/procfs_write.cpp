#include "sys/procfs_write.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "sys/syscalls.hpp"

namespace berth::sys {

namespace {

Result<void> require_procfs(int fd, const std::string &shown) {
  struct statfs fs {};
  if (::fstatfs(fd, &fs) < 0)
    return fail_errno("statfs " + shown);
  if (fs.f_type != PROC_SUPER_MAGIC)
    return fail(shown + " is not on procfs");
  return {};
}

Result<UniqueFd> open_beneath(int dirfd, const std::string &relative, const std::string &shown) {
  int fd = sys::openat2_raw(dirfd, relative.c_str(), O_WRONLY | O_CLOEXEC, 0,
                            RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV);
  if (fd >= 0)
    return UniqueFd(fd);
  if (errno != ENOSYS)
    return fail_errno("open " + shown);
  // Kernels before 5.6 have no openat2: the procfs check on the opened fd
  // below still refuses anything that is not procfs.
  fd = ::openat(dirfd, relative.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return fail_errno("open " + shown);
  return UniqueFd(fd);
}

} // namespace

Result<UniqueFd> open_procfs_dir(const std::string &path) {
  BERTH_TRY_ASSIGN(UniqueFd dir, sys::open_path(path, O_PATH | O_DIRECTORY));
  BERTH_TRY(require_procfs(dir.get(), path));
  return dir;
}

Result<void> write_procfs_file(int dirfd, const std::string &relative, std::string_view data,
                               const std::string &shown) {
  BERTH_TRY_ASSIGN(UniqueFd file, open_beneath(dirfd, relative, shown));
  BERTH_TRY(require_procfs(file.get(), shown));
  // One write(2): procfs parses each call as a whole value, so a retried
  // remainder would be a second, wrong value.
  ssize_t written = ::write(file.get(), data.data(), data.size());
  if (written < 0)
    return fail_errno("write " + shown);
  if (static_cast<std::size_t>(written) != data.size())
    return fail("write " + shown + ": short write of " + std::to_string(written) + " of " +
                std::to_string(data.size()) + " bytes");
  return {};
}

} // namespace berth::sys
