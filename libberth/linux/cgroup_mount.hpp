// A mount of type "cgroup": what it becomes depends on the host's layout. On a
// pure cgroup v2 host it is cgroup2. On a hybrid or v1 host (/sys/fs/cgroup is a
// tmpfs of hierarchies) it is a tmpfs holding one mount per v1 hierarchy, the
// host's set of controllers and names, plus cgroup2 at "unified" when the host
// has it there.
#pragma once

#include "linux/mount_options.hpp"
#include "linux/mounts.hpp"
#include "sys/error.hpp"

namespace berth::linux {

// Mounts onto `target_fd` (already resolved inside the rootfs). "ro" makes the
// whole tree read-only. In a user namespace without a cgroup namespace of its
// own, where the kernel refuses new cgroup mounts, the host's are bound instead.
Result<void> mount_cgroup(const MountPlan &plan, int target_fd, const MountContext &context);

} // namespace berth::linux
