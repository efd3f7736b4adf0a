// Writes to procfs files (sysctls, oom_score_adj) through fds checked to be on
// procfs, so that a container rootfs which puts something else at /proc (a
// directory of its own, a bind mount) cannot take the write.
#pragma once

#include <string>
#include <string_view>

#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace berth::sys {

// An O_PATH fd of the directory at `path` (an absolute path, symlinks followed),
// refused unless it is on procfs.
Result<UniqueFd> open_procfs_dir(const std::string &path);

// Writes data to `relative` under dirfd: no symlinks, no mount crossings, no
// escape from dirfd, and the opened file must be on procfs. `shown` is the path
// errors name ("/proc/sys/net/ipv4/ip_forward").
Result<void> write_procfs_file(int dirfd, const std::string &relative, std::string_view data,
                               const std::string &shown);

} // namespace berth::sys
