// The new container's cgroup, or, rootless, possibly none.
#pragma once

#include <string>
#include <vector>

#include "cgroup/manager.hpp"
#include "spec/config.hpp"
#include "sys/error.hpp"

namespace berth::container {

// Creates the container's cgroup and says whether there is one. Rootless, a
// hierarchy the caller may not write to (not delegated: EACCES, EPERM, or
// EROFS where /sys/fs/cgroup is mounted read-only) leaves the container
// without a cgroup, with one warning added to `warnings`, unless
// linux.resources asks for limits: those could not apply, and running
// without them would be silently wrong, so that is an error naming them (runc
// refuses the same way; device rules are not limits here: rootless, devices
// are only ever the host's own nodes bound in, under the host's permissions).
Result<bool> create_cgroup(cgroup::Manager &cgroups, const spec::Config &config, bool rootless,
                           std::vector<std::string> &warnings);

// Applies a new container's resources to the cgroup create_cgroup made.
// Rootless (a delegated cgroup), without device rules: only root may write a
// device cgroup's rules or attach its eBPF program, and the devices such a
// container has are the host's nodes under the host's permissions anyway.
Result<void> apply_resources(cgroup::Manager &cgroups, const spec::Resources &resources,
                             bool rootless);

} // namespace berth::container
