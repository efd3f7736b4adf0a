// `exec`'s children, from berth's clone to the process' execve: the stager,
// which joins the container, and the process it forks into the container's pid
// namespace; and berth's side of their setup (spawn_exec). Which process, and
// the container it joins, are container/exec.cpp's.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

#include "process/child_process.hpp"
#include "process/sync_channel.hpp"
#include "seccomp/filter.hpp"
#include "spec/config.hpp"

namespace berth::process {

// What the exec'd process needs from berth, in its copy of berth's memory.
struct ExecChildContext {
  const spec::Process &process;
  const SyncChannel *channel = nullptr; // the child's end (set by spawn_exec)
  int init_pidfd = -1;                  // the container's init, whose namespaces it joins
  int join_flags = 0;                   // CLONE_NEW* to join with setns(init_pidfd)
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

// What berth needs, besides the children's context, to bring the process up.
struct ExecSpawn {
  int cgroup_fd = -1; // the container's cgroup for CLONE_INTO_CGROUP, or -1
  // With ExecChildContext::placed_by_berth: moves the stager into the cgroup.
  std::function<Result<void>(pid_t stager)> place;
  // The state the seccomp agent gets with the listener fd, for the process'
  // pid; empty without a listener.
  std::function<std::string(pid_t process)> seccomp_process_state;
  // berth's copies of the fds the children take over (the console socket,
  // the listener's connection): closed once they hold them.
  UniqueFd *console_socket = nullptr;
  UniqueFd *seccomp_listener = nullptr;
};

struct SpawnedExec {
  ChildProcess child; // berth's child (CLONE_PARENT), reaped by berth
  UniqueFd pidfd;     // names it safely from pid reuse
};

// berth's side of exec: clones the stager (the children's code below), learns
// the process' pid from it, sends Commit, prints the process' warnings and
// returns once the process has exec'd. berth itself enters no namespace.
Result<SpawnedExec> spawn_exec(const ExecChildContext &ctx, const ExecSpawn &spawn);

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
