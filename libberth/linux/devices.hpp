// The container's /dev, as rootfs_plan.hpp lists it: the spec's default
// devices, linux.devices, the conventional symlinks and /dev/ptmx. Nodes are
// made with mknodat in a parent directory resolved inside the rootfs; where
// mknod is not permitted (a user namespace) the host's device is bound onto an
// empty file instead, or a node berth made on the host's side when the host
// has none.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>

#include "linux/rootfs_plan.hpp"
#include "spec/config.hpp"
#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace berth::linux {

// The file type of a node for linux.devices' `type` (c, u, b or p).
Result<mode_t> device_node_type(const spec::Device &device);

// Performs a DeviceStep (rootfs_plan.hpp) inside the rootfs at `root_fd`. An
// existing non-directory entry at the device's path is replaced; a mount there
// (from config.mounts) wins. In a user namespace, `host_node` gives a detached
// mount of a node made on the host's side, for a device of linux.devices the
// host has no node for (linux/host_side.hpp); may be empty.
Result<void> create_device(int root_fd, const DeviceStep &step,
                           const std::function<Result<UniqueFd>()> &host_node = {});

// Performs a DevSymlinkStep: /dev/fd -> /proc/self/fd, ..., and /dev/ptmx ->
// pts/ptmx when a devpts is mounted at /dev/pts.
Result<void> create_dev_symlink(int root_fd, const DevSymlinkStep &step);

} // namespace berth::linux
