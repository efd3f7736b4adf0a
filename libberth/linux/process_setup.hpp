// Per-process attributes of the container's init, applied after the rootfs is in
// place and before the user's program is executed.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "spec/config.hpp"
#include "sys/error.hpp"

namespace berth::linux {

// Whether the config may set sysctl `key` (no I/O). The key is dot-separated
// names, none empty, with no '/' (so no ".." either). Only sysctls that a
// namespace of the container's own isolates are allowed, as runc allows them:
// kernel.msg*, kernel.sem, kernel.sem_next_id, kernel.shm* and fs.mqueue.* need
// an ipc namespace, net.* a network namespace, kernel.hostname and
// kernel.domainname a uts namespace. A namespace counts when linux.namespaces
// lists it, created or joined by path. Errors name /linux/sysctl/<key>.
Result<void> check_sysctl(const spec::Config &config, std::string_view key);

// check_sysctl for every key, plus what only the runtime can see before it
// clones the init: a namespace joined by path must not be the runtime's own
// (that is, the host's), or its sysctls would change the host. Run it in the
// runtime process while validating the config.
Result<void> validate_sysctl(const spec::Config &config);

// linux.sysctl: checks every key (check_sysctl) and writes
// /proc/sys/<key with dots as slashes> through an fd checked to be on procfs.
// Runs in the init, in the container's namespaces.
Result<void> apply_sysctl(const spec::Config &config);

// hostname and domainname (needs a UTS namespace of the container's own).
Result<void> apply_hostname(const spec::Config &config);

// process.rlimits via setrlimit. Raising a hard limit needs CAP_SYS_RESOURCE, so
// this runs before apply_credentials.
Result<void> apply_rlimits(const std::vector<spec::Rlimit> &rlimits);

// process.oomScoreAdj via /proc/self/oom_score_adj (an fd checked to be on
// procfs). Lowering it needs CAP_SYS_RESOURCE: before apply_credentials.
Result<void> apply_oom_score_adj(int value);

// process.user and process.capabilities, worked out and partly applied while
// the process is still privileged and unfiltered (prepare_credentials), so that
// what is left for the moment after the seccomp filter (finish_credentials) is
// a fixed, short list of calls every profile allows: setgroups, setresgid,
// setresuid, prctl(PR_SET_KEEPCAPS) twice, capset and prctl(PR_CAP_AMBIENT).
// No allocation happens in finish_credentials unless it fails.
struct CredentialPlan {
  unsigned last_cap = 0;
  bool has_capabilities = false; // no capabilities object: keep the current ones
  std::uint64_t effective = 0, permitted = 0, inheritable = 0, ambient = 0;
  std::vector<gid_t> groups;     // process.user.additionalGids
  bool setgroups_denied = false; // /proc/self/setgroups says "deny"
};

// The part before the filter: resolves the capability names (unknown ones, and
// ones the running kernel lacks, are skipped with a warning in `warnings`),
// drops the bounding set while still root (it needs CAP_SETPCAP), sets the
// umask (process.user.umask, 0022 when absent), and reads whether the user
// namespace denies setgroups.
Result<CredentialPlan> prepare_credentials(const spec::Process &process,
                                           std::vector<std::string> &warnings);

// The part after the filter, in the only order that works: keep-caps across
// setgroups/setresgid/setresuid, then the effective, permitted and inheritable
// sets, then the ambient ones raised (prepare_credentials has left out, with
// a warning, those not both permitted and inheritable). Each set is exactly
// what the config lists; with no capabilities object the process keeps the
// capabilities it has (as runc does).
Result<void> finish_credentials(const spec::Process &process, const CredentialPlan &plan);

// Both, one after the other.
Result<void> apply_credentials(const spec::Process &process, std::vector<std::string> &warnings);

// process.noNewPrivileges.
Result<void> apply_no_new_privileges();

// chdir(cwd), then a check that the kernel reports the new cwd inside the
// calling process' root (CVE-2024-21626): a cwd reached through a path or an
// fd leading out of the container reads as "(unreachable)..." from getcwd.
// For the init (after pivot_root) and for exec (after joining the container's
// mount namespace).
Result<void> enter_cwd(const std::string &cwd);

// The executable the init will exec: args[0] when it contains a '/', otherwise
// the first match in the PATH of process.env (the default PATH when it has none;
// the last PATH= entry when it has several, as runc reads it). Relative results
// are relative to the working directory, so this runs after the chdir to
// process.cwd. Fails when it does not exist, is not a regular file or is not
// executable, so that create reports a missing binary before start. It runs
// before the switch to process.user and judges the execute bits for that
// user (uid, gid, additionalGids), as the kernel will at execve.
Result<std::string> find_executable(const spec::Process &process);

// process.env, with HOME set as runc sets it when the env has none (or an
// empty one): the home of process.user.uid in the container's /etc/passwd,
// "/" when the user has no entry there (or the file is missing, or not a
// regular file). Reads /etc/passwd inside the current root: the init calls it
// after pivot_root, the exec'd process once it is in the container's mount
// namespace.
std::vector<std::string> environment_with_home(const spec::Process &process);

// The home field of the first entry for `uid` in the text of a passwd file;
// "/" when there is none (or it is empty).
std::string home_in_passwd(std::string_view passwd, std::uint32_t uid);

} // namespace berth::linux
