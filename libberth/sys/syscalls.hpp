// Raw system calls that glibc 2.36 does not wrap (openat2, clone3) and thin
// Result-returning wrappers over the ones berth uses everywhere.
#pragma once

#include <linux/openat2.h>
#include <linux/sched.h>
#include <sys/types.h>

#include <cstdint>
#include <string>

#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace berth::sys {

// openat2(2). Returns the fd or -1 with errno set, like the kernel.
int openat2_raw(int dirfd, const char *path, std::uint64_t flags, std::uint64_t mode,
                std::uint64_t resolve);
// clone3(2): returns 0 in the child, the pid in the parent, -1 with errno on failure.
long clone3_raw(struct clone_args *args);

// Makes clone3 start the child in the cgroup `cgroup_fd` names (cgroup v2:
// no migration after the fact); nothing when it is -1.
inline void clone_into_cgroup(struct clone_args &args, int cgroup_fd) {
  if (cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<std::uint64_t>(cgroup_fd);
  }
}
int pidfd_open_raw(pid_t pid);
int pidfd_send_signal_raw(int pidfd, int sig);

// open(2)/openat(2) with O_CLOEXEC always added; errors name the path.
Result<UniqueFd> open_at(int dirfd, const std::string &path, int flags, mode_t mode = 0);
inline Result<UniqueFd> open_path(const std::string &path, int flags, mode_t mode = 0) {
  return open_at(-100 /* AT_FDCWD */, path, flags, mode);
}

// Reads a whole file (at most max_bytes; larger is an error).
Result<std::string> read_fd(int fd, std::size_t max_bytes);
Result<std::string> read_file_at(int dirfd, const std::string &path,
                                 std::size_t max_bytes = 64u << 20);
inline Result<std::string> read_file(const std::string &path, std::size_t max_bytes = 64u << 20) {
  return read_file_at(-100, path, max_bytes);
}

// Writes all of data to fd, retrying on EINTR and short writes.
Result<void> write_all(int fd, std::string_view data);
// Opens path (O_WRONLY, no create, no truncate beyond the file's own semantics)
// and writes data: for procfs and sysfs files.
Result<void> write_file_at(int dirfd, const std::string &path, std::string_view data);
inline Result<void> write_file(const std::string &path, std::string_view data) {
  return write_file_at(-100, path, data);
}

// Creates dirfd/name with data atomically: a temporary file in the same
// directory put in name's place, so a reader (or a berth killed half-way) sees
// the old content or the new, never a part. Not fsync'd: what berth writes this
// way (state.json, pid files, the seccomp cache) describes processes that a
// power loss ends anyway, and the cache checks its own checksum; an fsync per
// write costs ~0.5 ms on a disk-backed /run and serialises concurrent creates
// on the filesystem's journal. Nor is it renamed *over* the old file: see
// replace_by_exchange in syscalls.cpp.
Result<void> write_file_atomic(int dirfd, const std::string &name, std::string_view data,
                               mode_t mode = 0600);

} // namespace berth::sys
