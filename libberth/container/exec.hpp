// `exec`: one more process in a container, cloned by berth straight into the
// container's cgroup and namespaces (no re-exec of berth). Shared by exec.cpp
// (berth's side), exec_child.cpp (the new process until its execve) and
// exec_process.cpp (which process that is).
#pragma once

#include <string>

#include "container/container.hpp"
#include "container/sync_channel.hpp"
#include "seccomp/filter.hpp"
#include "spec/config.hpp"
#include "sys/error.hpp"

namespace berth::container {

// The container's config.process (`base`) with the command line laid over it,
// as runc does: the args replace the config's, --env entries replace those with
// the same name or are appended, --user, --cwd, --no-new-privs and the labels
// replace, --additional-gids are appended, and each --cap joins the bounding,
// effective and permitted sets (and the ambient one when the config makes it
// inheritable: the inheritable set itself never grows, CVE-2022-29162);
// process.terminal is --tty. Errors name the flag at fault.
Result<spec::Process> overlay_exec_flags(spec::Process base, const ExecOptions &options);

// With --process, the flags that shape the process (and a command) are
// refused: the process file is the whole process.
Result<void> check_no_overlay_flags(const ExecOptions &options);

// What the exec'd process needs from berth, in its copy of berth's memory.
struct ExecChildContext {
  const spec::Process &process;
  const SyncChannel &channel; // the child's end
  int init_pidfd = -1;        // the container's init, whose namespaces it joins
  int join_flags = 0;         // CLONE_NEW* to join with setns(init_pidfd)
  // A container without a mount namespace (it shares berth's): the init's root
  // (/proc/<pid>/root, O_PATH), which the stager chroots into; -1 otherwise.
  int init_root = -1;
  bool placed_by_berth = false; // no CLONE_INTO_CGROUP: wait for Placed
  unsigned preserve_fds = 0;
  // linux.seccomp compiled by berth, or null; and, when it notifies, the
  // connection to its listenerPath (a host path berth connected to).
  const seccomp::Program *seccomp = nullptr;
  int seccomp_listener = -1;
  // Where the terminal's master goes with process.terminal: the engine's
  // --console-socket, or berth itself for a foreground `exec -t`.
  int console_socket = -1;
  // The container's linux.personality and linux.memoryPolicy, or null: an
  // exec'd process runs as the init does.
  const spec::Personality *personality = nullptr;
  const spec::MemoryPolicy *memory_policy = nullptr;
};

// The stager, berth's first clone: makes itself non-dumpable, closes berth's
// fds, waits for Placed when `placed_by_berth`, applies what needs the host's
// capabilities, joins every namespace in `join_flags` (the pid one for its
// children only), and forks the process (CLONE_PARENT: berth's child) into
// the container's pid namespace. It reports the process's pid (InitPid) or
// its error (Failed) and ends. It never returns.
[[noreturn]] void run_exec_stager(const ExecChildContext &ctx);

// The process from its fork to execve. It waits for berth's Commit (payload:
// the seccomp listener's process state), sets itself up, and execs; any error
// goes back to berth as Failed. It never returns.
[[noreturn]] void run_exec_process(const ExecChildContext &ctx);

} // namespace berth::container
