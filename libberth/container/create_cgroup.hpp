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

} // namespace berth::container
