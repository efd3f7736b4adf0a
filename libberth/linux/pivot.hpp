// Making the prepared rootfs the process's "/".
#pragma once

#include "sys/error.hpp"

namespace berth::linux {

// pivot_root into the rootfs mount `root_fd` with new and old root both ".", so
// the rootfs needs no directory for the old root: the old root, stacked on top
// of the new one, is made a slave (its unmount must not reach the host) and
// detached. On return "/" and the working directory are the rootfs.
Result<void> pivot_into(int root_fd);

// --no-pivot: moves the rootfs mount onto "/" and chroots into it. The old root
// stays reachable for anything that escapes the chroot; it is for filesystems
// (initramfs) where pivot_root cannot work.
Result<void> move_into(int root_fd);

} // namespace berth::linux
