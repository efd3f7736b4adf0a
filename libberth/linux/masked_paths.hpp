// linux.maskedPaths and linux.readonlyPaths, applied after pivot_root (so that
// "/" is the rootfs) and after sysctl, which needs /proc/sys writable.
#pragma once

#include <string>
#include <vector>

#include "sys/error.hpp"

namespace berth::linux {

// Hides each path: a directory under an empty read-only tmpfs, anything else
// under a bind of /dev/null, after checking on its fd that it is the real
// character device 1:3. A path that does not exist is skipped.
Result<void> mask_paths(int root_fd, const std::vector<std::string> &paths);

// Binds each path onto itself and makes the bind read-only, with its submounts.
// Flags it already has (nosuid, nodev, noexec: locked in a user namespace) stay.
// A path that does not exist is skipped.
Result<void> make_paths_readonly(int root_fd, const std::vector<std::string> &paths);

// Makes the root mount read-only (root.readonly); mounts below it keep theirs.
Result<void> make_root_readonly(int root_fd);

} // namespace berth::linux
