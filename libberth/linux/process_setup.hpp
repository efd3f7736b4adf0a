// Per-process attributes of the container's init, applied after the rootfs is in
// place and before the user's program is executed.
#pragma once

#include <string>
#include <vector>

#include "spec/config.hpp"
#include "sys/error.hpp"

namespace berth::linux {

// linux.sysctl: writes /proc/sys/<key with dots as slashes> through an fd
// checked to be on procfs.
Result<void> apply_sysctl(const spec::StringMap &sysctl);

// hostname and domainname (needs a UTS namespace of the container's own).
Result<void> apply_hostname(const spec::Config &config);

// process.rlimits via prlimit/setrlimit.
Result<void> apply_rlimits(const std::vector<spec::Rlimit> &rlimits);

// process.oomScoreAdj via /proc/self/oom_score_adj.
Result<void> apply_oom_score_adj(int value);

// process.user (additionalGids, gid, uid, umask) and process.capabilities (all five
// sets), in the only order that works: bounding set dropped while still root,
// keep-caps across setgroups/setresgid/setresuid, then effective, permitted and
// inheritable set, then ambient raised. Unknown capability names are skipped with
// a warning in `warnings`. With no capabilities object the process keeps the
// capabilities it has (as runc does).
Result<void> apply_credentials(const spec::Process &process, std::vector<std::string> &warnings);

// process.noNewPrivileges.
Result<void> apply_no_new_privileges();

// The executable the init will exec: args[0] when it contains a '/', otherwise
// the first match in the PATH of process.env (the default PATH when it has none).
// Fails when it does not exist or is not executable, so that create reports a
// missing binary before start.
Result<std::string> find_executable(const spec::Process &process);

} // namespace berth::linux
