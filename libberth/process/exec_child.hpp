// `exec`'s children, from berth's clone to the process' execve: the stager,
// which joins the container, and the process it forks into the container's pid
// namespace. berth's side is container/exec.cpp.
#pragma once

#include "process/sync_channel.hpp"
#include "seccomp/filter.hpp"
#include "spec/config.hpp"

namespace berth::process {

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

} // namespace berth::process
