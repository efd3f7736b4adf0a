// The steps that every process berth places in a container takes right before
// it becomes the user's program, whether it is the container's init or an
// `exec`'d process: the same order, the same defences.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "linux/process_setup.hpp"
#include "seccomp/filter.hpp"
#include "spec/config.hpp"
#include "sys/error.hpp"

namespace berth::container {

// CVE-2019-5736: until the execve this is berth's code running next to the
// container's processes. Non-dumpable, its /proc entries (exe, mem, fd/) belong
// to the host's root and refuse ptrace-mode access; execve makes the container's
// program dumpable again.
Result<void> become_non_dumpable();

// process.apparmorProfile and process.selinuxLabel apply from the next execve;
// written through the container's procfs (checked to be procfs) while the
// process still has its privileges.
Result<void> apply_lsm_labels(const spec::Process &process);

// Right after clone the process holds copies of all of berth's fds (the state
// directory whose lock serializes commands, the caller's log file, ...): closes
// every fd from 3 + preserve_fds on except those in `keep` (-1 entries ignored).
Result<void> close_fds_except(unsigned preserve_fds, std::vector<int> keep);

// CVE-2024-21626: only stdio and the --preserve-fds ones reach the program.
Result<void> seal_inherited_fds(unsigned preserve_fds);

// execve's argv/envp: pointers into `strings`, null-terminated.
std::vector<char *> c_strings(const std::vector<std::string> &strings);

// The end of every container process, from the seccomp filter to execve:
// everything else (fds sealed, the executable found, the cwd entered, the
// bounding set, rlimits, umask, the sync channel, the wait for start) is done
// before. What follows the filter is a fixed list that profiles of any age
// allow (berth(8), "SECCOMP"):
//   without noNewPrivileges (and without CAP_SYS_ADMIN in the effective set)
//     the filter goes in while berth is still privileged, then the credential
//     and capability calls (prctl PR_SET_KEEPCAPS, setgroups, setresgid,
//     setresuid, prctl PR_SET_KEEPCAPS, capset, prctl PR_CAP_AMBIENT), execve;
//   otherwise the credentials first, noNewPrivileges, the filter, execve.
// With a listenerPath, the listener fd goes to the agent (one sendmsg) right
// after the filter. Nothing allocates after the filter unless a step fails.
struct FinalSteps {
  const spec::Process *process = nullptr;
  const linux::CredentialPlan *credentials = nullptr;
  const seccomp::Program *seccomp = nullptr; // null: no filter
  int listener = -1;                         // the connection to listenerPath
  std::string_view listener_path;            // for errors
  std::string_view process_state;            // what the agent gets with the fd
  // The cwd could not be entered as root (EACCES): the user enters it.
  bool enter_cwd_as_user = false;
  // After the credentials, before the late filter (the startContainer hooks).
  std::function<Result<void>()> after_credentials;
  const char *executable = nullptr;
  char *const *argv = nullptr;
  char *const *envp = nullptr;
};

// Runs FinalSteps; returns only with the error that stopped it.
Error finish_and_exec(const FinalSteps &steps);

// Enters process.cwd as root, before the switch to the process' user, so that
// the switch and execve are all that is left after the seccomp filter. A cwd
// root may not enter (EACCES: NFS with root squashed, a user namespace whose
// root does not own it) is left for the user to enter: true then.
Result<bool> enter_cwd_before_switch(const std::string &cwd);

} // namespace berth::container
