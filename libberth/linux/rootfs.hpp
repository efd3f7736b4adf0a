// The container's filesystem view: rootfs, mounts, devices, pivot_root, and the
// masked and read-only paths. Runs in the container's init, inside its new mount
// namespace (and user namespace, when it has one, with the id maps written).
// Both phases first compute their steps (rootfs_plan.hpp, no syscall), then
// perform them in order.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "spec/config.hpp"
#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace berth::linux {

struct RootfsOptions {
  std::string rootfs;    // absolute host path of the rootfs directory
  bool no_pivot = false; // --no-pivot: MS_MOVE + chroot instead of pivot_root
  // No mount namespace in the config: the init shares the runtime's. "/" and
  // the rootfs' parent keep their propagation, the rootfs bind is made private
  // before it is attached (nothing mounted below it reaches the host's peers),
  // and the init chroots into it: pivot_root or MS_MOVE would change the root
  // of the whole host. Create and delete detach the bind (host_rootfs_mount.hpp).
  bool shares_host_mounts = false;
  // Where the idmapped trees of config.mounts come from (MountContext).
  std::function<Result<UniqueFd>(std::size_t index)> idmapped_tree;
  // Called once the mounts and devices are in place, right before the pivot
  // (the createRuntime and createContainer hooks' moment); may be empty.
  std::function<Result<void>()> before_pivot;
  // In a user namespace, what berth opens or makes on the host's side for the
  // init (host_side.hpp): a bind source of config.mounts[N] (MountContext), a
  // node for linux.devices[N] (create_device); may be empty.
  std::function<Result<UniqueFd>(std::size_t index)> host_bind_source;
  std::function<Result<UniqueFd>(std::size_t index)> host_device_node;
};

// Phase 1, before pivot: sets the propagation of the host's tree as seen from the
// new mount namespace (linux.rootfsPropagation, default rslave as runc), bind
// mounts the rootfs onto itself, performs config.mounts in order (destinations
// resolved inside the rootfs, never through a symlink to the host), creates the
// default devices and linux.devices, the /dev symlinks and /dev/ptmx, then
// pivots into the rootfs (or moves + chroots with no_pivot). On return "/" is the
// rootfs and nothing of the host's tree is reachable.
Result<void> prepare_rootfs(const spec::Config &config, const RootfsOptions &options);

// Phase 2, after sysctl and hostname (sysctl needs /proc/sys writable): makes a
// "ro" /dev read-only (it stayed writable to be filled), masks
// linux.maskedPaths, makes linux.readonlyPaths read-only, and remounts the root
// read-only when root.readonly.
Result<void> finalize_rootfs(const spec::Config &config);

} // namespace berth::linux
