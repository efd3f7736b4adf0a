// The user namespace an idmapped mount ("idmap", "ridmap") takes its mapping from.
#pragma once

#include "spec/config.hpp"
#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace berth::linux {

// A user namespace fd carrying the mount's uidMappings and gidMappings; with
// none, the container's own user namespace (the one this process runs in). A
// helper child holds the new namespace while its maps are written and is reaped
// before this returns.
Result<UniqueFd> open_idmap_userns(const spec::Mount &mount, const spec::Config &config);

} // namespace berth::linux
