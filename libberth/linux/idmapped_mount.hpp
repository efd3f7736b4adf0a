// Idmapped bind mounts (config.md: a mount's uidMappings/gidMappings, the
// "idmap" and "ridmap" options). The kernel lets only a process privileged over
// the source filesystem's user namespace (the host's) idmap a mount, which the
// container's init in a user namespace of its own is not: berth builds the
// detached tree on the host's side and the init attaches it (mounts.cpp).
#pragma once

#include <sys/types.h>

#include "linux/mount_options.hpp"
#include "spec/config.hpp"
#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace berth::linux {

// A detached, idmapped clone of the mount's source (relative to `bundle_fd`
// when not absolute), with the plan's top and recursive attributes: the whole
// tree below the source with "rbind", only its top mount idmapped with "idmap",
// every mount of the tree with "ridmap" (and, with mappings but neither option,
// as the bind is: recursively for "rbind"). The mapping is the mount's own, or
// the user namespace of process `container_pid` (see idmap_userns.hpp).
Result<UniqueFd> create_idmapped_bind(const spec::Mount &mount, const spec::Config &config,
                                      int bundle_fd, pid_t container_pid);

} // namespace berth::linux
