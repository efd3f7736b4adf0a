// The performer of a MountStep (rootfs_plan.hpp), one config.mounts entry: the
// destination is resolved (and created) inside the rootfs through fds, the
// mount is built detached with its attributes, then attached onto that fd.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "linux/mount_options.hpp"
#include "linux/rootfs_plan.hpp"
#include "spec/config.hpp"
#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace berth::linux {

struct MountContext {
  int root_fd = -1;            // the rootfs mount, O_PATH
  bool user_namespace = false; // the container runs in a user namespace of its own
  // The container has a cgroup namespace (new or joined): a cgroup mount then
  // shows only its own tree; without one berth binds the container's cgroup.
  bool cgroup_namespace = false;
  // The detached, idmapped tree of config.mounts[index] (MountStep::index),
  // built by berth on the host's side (idmapped_mount.hpp); unset where nobody
  // can build one.
  std::function<Result<UniqueFd>(std::size_t index)> idmapped_tree;
  // An O_PATH fd of config.mounts[index].source opened by berth as the host's
  // root, in this mount namespace (host_side.hpp), for a source the init cannot
  // reach from its user namespace; unset where nobody can open one.
  std::function<Result<UniqueFd>(std::size_t index)> host_bind_source;
};

// Performs one entry of config.mounts. Errors read "mount proc on /proc: ..."
// (MountStep::what).
Result<void> perform_mount_step(const MountStep &step, const MountContext &context);

// MakeDevReadonly: the /dev mount read-only (not the mounts below it); after
// the pivot, `root_fd` is "/".
Result<void> make_dev_readonly(int root_fd);

// A detached, configured mount of a new `fstype` filesystem: source, superblock
// flags and data options through fsconfig, per-mount attributes through fsmount.
// With `readonly_superblock` the superblock is read-only too ("ro" to fsconfig),
// as mount(2) with MS_RDONLY makes a new one.
Result<UniqueFd> create_filesystem(const std::string &fstype, const std::string &source,
                                   const MountPlan &plan, bool readonly_superblock = false);

// A detached bind of the host path `source` (recursive with plan.recursive_bind)
// with the plan's top and recursive attributes applied. In a user namespace a
// flag the kernel locked on the source (it was set when the namespace was made)
// cannot be cleared: that part of the request is dropped with a warning.
Result<UniqueFd> create_bind(int source_fd, const MountPlan &plan, bool user_namespace);

// Attaches `mount_fd` onto `target_fd` and applies the plan's propagation.
Result<void> attach_with_propagation(int mount_fd, int target_fd, const MountPlan &plan);

} // namespace berth::linux
