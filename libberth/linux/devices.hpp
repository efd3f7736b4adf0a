// The container's /dev: the spec's default devices, linux.devices, the
// conventional symlinks and /dev/ptmx. Nodes are made with mknodat in a parent
// directory resolved inside the rootfs; where mknod is not permitted (a user
// namespace) the host's device is bound onto an empty file instead, or a node
// berth made on the host's side when the host has none.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <vector>

#include "spec/config.hpp"
#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace berth::linux {

// The file type of a node for linux.devices' `type` (c, u, b or p).
Result<mode_t> device_node_type(const spec::Device &device);

// /dev/null, zero, full, random, urandom and tty, as the spec lists them.
std::vector<spec::Device> default_devices();

// Whether berth fills /dev: not when config.mounts binds something onto /dev (the
// container then sees that tree as it is); yes for a tmpfs /dev or none at all.
bool should_populate_dev(const spec::Config &config);

// Creates the default devices, then linux.devices (which may replace a default
// one), inside the rootfs at `root_fd`. An existing non-directory entry at a
// device's path is replaced. In a user namespace, `host_node(N)` gives a
// detached mount of a node for linux.devices[N] made on the host's side, for a
// device the host has no node for (linux/host_side.hpp); may be empty.
Result<void> create_devices(int root_fd, const spec::Config &config,
                            const std::function<Result<UniqueFd>(std::size_t)> &host_node = {});

// /dev/fd -> /proc/self/fd, /dev/std{in,out,err} -> /proc/self/fd/{0,1,2}, and
// /dev/ptmx -> pts/ptmx when a devpts is mounted at /dev/pts.
Result<void> create_dev_symlinks(int root_fd);

} // namespace berth::linux
