#include "sys/syscalls.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>

namespace berth::sys {

int openat2_raw(int dirfd, const char *path, std::uint64_t flags, std::uint64_t mode,
                std::uint64_t resolve) {
  struct open_how how {};
  how.flags = flags;
  how.mode = mode;
  how.resolve = resolve;
  return static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}

long clone3_raw(struct clone_args *args) {
  return ::syscall(SYS_clone3, args, sizeof *args);
}

int pidfd_open_raw(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

int pidfd_send_signal_raw(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

Result<UniqueFd> open_at(int dirfd, const std::string &path, int flags, mode_t mode) {
  int fd = ::openat(dirfd, path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0)
    return fail_errno("open " + path);
  return UniqueFd(fd);
}

Result<std::string> read_fd(int fd, std::size_t max_bytes) {
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return fail_errno("read");
    }
    if (n == 0)
      break;
    if (out.size() + static_cast<std::size_t>(n) > max_bytes)
      return fail("file is larger than " + std::to_string(max_bytes) + " bytes");
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

Result<std::string> read_file_at(int dirfd, const std::string &path, std::size_t max_bytes) {
  BERTH_TRY_ASSIGN(UniqueFd fd, open_at(dirfd, path, O_RDONLY));
  return with_context(read_fd(fd.get(), max_bytes), "read " + path);
}

Result<void> write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return fail_errno("write");
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<void> write_file_at(int dirfd, const std::string &path, std::string_view data) {
  BERTH_TRY_ASSIGN(UniqueFd fd, open_at(dirfd, path, O_WRONLY));
  return with_context(write_all(fd.get(), data), "write " + path);
}

namespace {

// Puts `tmp` in the place of `name`, atomically for anyone opening `name`.
// A rename over an existing file makes ext4 (auto_da_alloc) allocate and
// write the new file's blocks at once, so that a crash cannot leave it
// empty: durability berth does not need here, which costs a write now and,
// on a filesystem mounted with -o discard (this host's /run), a synchronous
// discard when the file is deleted later. Swapping the two names with
// RENAME_EXCHANGE is as atomic, and leaves the data in the page cache; the
// old file, under the temporary name then, is unlinked.
bool replace_by_exchange(int dirfd, const std::string &tmp, const std::string &name) {
  if (::renameat2(dirfd, tmp.c_str(), dirfd, name.c_str(), RENAME_EXCHANGE) == 0) {
    ::unlinkat(dirfd, tmp.c_str(), 0);
    return true;
  }
  // ENOENT: no file to replace yet (a plain rename has nothing to force
  // either); EINVAL: a filesystem without exchange.
  if (errno != ENOENT && errno != EINVAL)
    return false;
  return ::renameat(dirfd, tmp.c_str(), dirfd, name.c_str()) == 0;
}

} // namespace

Result<void> write_file_atomic(int dirfd, const std::string &name, std::string_view data,
                               mode_t mode) {
  std::string tmp = "." + name + ".tmp." + std::to_string(::getpid());
  int fd = ::openat(dirfd, tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return fail_errno("create " + tmp);
  UniqueFd owned(fd);
  auto written = write_all(fd, data);
  if (written && !replace_by_exchange(dirfd, tmp, name))
    written = fail_errno("rename to " + name);
  if (!written) {
    ::unlinkat(dirfd, tmp.c_str(), 0);
    return with_context(std::move(written), "write " + name);
  }
  return {};
}

} // namespace berth::sys
