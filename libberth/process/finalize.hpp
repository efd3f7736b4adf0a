// The one path every process berth places in a container takes to become the
// user's program, whether it is the container's init (init.cpp) or an `exec`'d
// process (exec_child.cpp): the same steps, in the same order, with the same
// defences. Both first join their namespaces and cgroup and, last, are forked
// into the pid namespace (spawn.cpp, exec_child.cpp); then, here:
//   prepare_final_steps  LSM labels, HOME, the credentials planned, the cwd
//                        entered, the executable found (still privileged and
//                        unfiltered);
//   seal_inherited_fds   only stdio and --preserve-fds reach the program;
//   finish_and_exec      the seccomp filter, the credential switch, execve.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "linux/process_setup.hpp"
#include "seccomp/filter.hpp"
#include "spec/config.hpp"
#include "sys/error.hpp"

namespace berth::process {

// CVE-2019-5736: until the execve this is berth's code running next to the
// container's processes. Non-dumpable, its /proc entries (exe, mem, fd/) belong
// to the host's root and refuse ptrace-mode access; execve makes the container's
// program dumpable again.
Result<void> become_non_dumpable();

// In a user namespace the process keeps berth's ids, which read as the
// overflow ids there until it switches: it becomes the namespace's root, when
// the namespace maps 0 (EINVAL: it does not), so that what it makes (the
// terminal, the init's mounts) belongs to the container's root.
Result<void> become_namespace_root();

// Right after clone the process holds copies of all of berth's fds (the state
// directory whose lock serializes commands, the caller's log file, ...): closes
// every fd from 3 + preserve_fds on except those in `keep` (-1 entries ignored).
Result<void> close_fds_except(unsigned preserve_fds, std::vector<int> keep);

// CVE-2024-21626: only stdio and the --preserve-fds ones reach the program.
Result<void> seal_inherited_fds(unsigned preserve_fds);

// What a process has ready before its final steps: everything that may read
// the container's files or needs privileges, done while it still has them
// and before the seccomp filter.
struct ProcessPreparation {
  std::string executable;            // process.args[0], looked up in PATH
  std::vector<std::string> env;      // process.env, with HOME
  std::vector<std::string> warnings; // for berth to print (credentials)
  linux::CredentialPlan credentials; // the switch, planned
  bool enter_cwd_as_user = false;    // root may not enter process.cwd
};

// Applies process.apparmorProfile and process.selinuxLabel (from the next
// execve, through the container's procfs), reads HOME from the container's
// /etc/passwd, plans the credentials, enters process.cwd as root (a cwd root
// may not enter, EACCES: NFS with root squashed, a user namespace whose root
// does not own it, is left for the user) and finds the executable.
Result<ProcessPreparation> prepare_final_steps(const spec::Process &process);

// Whether the seccomp filter can go in at the last moment, right before
// execve: loading needs no_new_privs or CAP_SYS_ADMIN, and the process' own
// credentials may have neither. Otherwise it is loaded just before the switch
// to the process' user and capabilities, as runc does, and the profile must
// allow what still follows it (setresuid, capset, execve, ...).
bool seccomp_loads_before_exec(const spec::Process &process);

// The end of every container process, from the seccomp filter to execve.
// Before the filter: argv and envp are built and the signal mask is cleared
// (berth blocks the signals it forwards; the program starts with none). What
// follows the filter is a fixed list that profiles of any age allow (berth(8),
// "SECCOMP"):
//   without noNewPrivileges (and without CAP_SYS_ADMIN in the effective set)
//     the filter goes in while berth is still privileged, then the credential
//     and capability calls (prctl PR_SET_KEEPCAPS, setgroups, setresgid,
//     setresuid, prctl PR_SET_KEEPCAPS, capset, prctl PR_CAP_AMBIENT), execve;
//   otherwise the credentials first, noNewPrivileges, the filter, execve.
// With a listenerPath, the listener fd goes to the agent (one sendmsg) right
// after the filter. Nothing allocates after the filter unless a step fails.
struct FinalSteps {
  const spec::Process *process = nullptr;
  const ProcessPreparation *prepared = nullptr;
  const seccomp::Program *seccomp = nullptr; // null: no filter
  int listener = -1;                         // the connection to listenerPath
  std::string_view listener_path;            // for errors
  std::string_view process_state;            // what the agent gets with the fd
  // After the credentials, before the late filter (the startContainer hooks).
  std::function<Result<void>()> after_credentials;
};

// Runs FinalSteps; returns only with the error that stopped it.
Error finish_and_exec(const FinalSteps &steps);

// execve's argv/envp: pointers into `strings`, null-terminated.
std::vector<char *> c_strings(const std::vector<std::string> &strings);

} // namespace berth::process
