// The processes of a container that has no cgroup (rootless, where the
// caller's cgroup is not delegated), found through /proc instead.
#pragma once

#include <vector>

#include "container/state_dir.hpp"
#include "sys/error.hpp"

namespace berth::container {

// With its own pid namespace: every process in it (exec'd ones too). Sharing
// the host's: the init and its descendants. Sorted host pids; empty once the
// init has exited.
Result<std::vector<int>> processes_without_cgroup(const StoredState &state);

} // namespace berth::container
