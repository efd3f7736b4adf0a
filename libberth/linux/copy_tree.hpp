// "tmpcopyup": what the rootfs had under a mount's destination is copied into the
// new (still detached) tmpfs before it covers that directory.
#pragma once

#include "sys/error.hpp"

namespace berth::linux {

// Copies the contents of the directory `source_dir_fd` (any fd, O_PATH is fine)
// into `target_dir_fd`: directories, regular files, symlinks (never followed)
// and device nodes, with modes and owners. A node the kernel does not let this
// process create (mknod in a user namespace) is skipped with a warning.
Result<void> copy_tree(int source_dir_fd, int target_dir_fd);

} // namespace berth::linux
