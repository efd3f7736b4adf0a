// The user namespace an idmapped mount ("idmap", "ridmap") takes its mapping from.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "spec/config.hpp"
#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace berth::linux {

// Mappings in the form /proc/<pid>/uid_map and gid_map take: one
// "containerID hostID size" line each.
std::string id_map_text(const std::vector<spec::IdMapping> &mappings);

// A user namespace fd carrying the mount's uidMappings and gidMappings, written
// as linux.uidMappings are ("containerID hostID size"): an id the source's files
// have on disk, containerID, shows as hostID through the mount. With none, the
// container's own user namespace, the one process `container_pid` runs in. A
// helper child holds a new namespace while its maps are written and is reaped
// before this returns (the fd keeps the namespace alive).
Result<UniqueFd> open_idmap_userns(const spec::Mount &mount, const spec::Config &config,
                                   pid_t container_pid);

} // namespace berth::linux
