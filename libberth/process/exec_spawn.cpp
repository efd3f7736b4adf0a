// berth's side of exec's children (exec_child.hpp): the clone of the stager,
// and the conversation that follows the process to its execve.
#include <sched.h>
#include <signal.h>

#include <charconv>
#include <string_view>

#include "process/exec_child.hpp"
#include "sys/log.hpp"
#include "sys/syscalls.hpp"
#include "sys/text.hpp"

namespace berth::process {
namespace {

// The stager's report: the pid of berth's new child, and a pidfd for it (safe
// from pid reuse: only berth may reap its own child).
Result<SpawnedExec> spawned_by_stager(const SyncChannel &berth_end, ChildProcess &stager) {
  BERTH_TRY_ASSIGN(auto message, berth_end.receive());
  stager.kill_and_reap(); // it has ended, or has nothing left to do
  if (message.first == SyncMessage::Failed)
    return fail(std::move(message.second));
  pid_t pid = 0;
  auto [end, ec] =
      std::from_chars(message.second.data(), message.second.data() + message.second.size(), pid);
  if (message.first != SyncMessage::InitPid || ec != std::errc() || pid <= 0)
    return fail("unexpected message from the exec stager");
  ChildProcess child(pid);
  int pidfd = sys::pidfd_open_raw(pid);
  if (pidfd < 0)
    return fail_errno("pidfd_open the process");
  return SpawnedExec{std::move(child), UniqueFd(pidfd)};
}

// From Commit to the execve: the process' warnings, or its error.
Result<void> follow_to_exec(const SyncChannel &berth_end) {
  for (;;) {
    BERTH_TRY_ASSIGN(auto message, berth_end.receive_or_eof());
    if (!message)
      return {};
    switch (message->first) {
    case SyncMessage::Ready: // warnings, before the exec
      for (std::string_view warning : sys::split_lines(message->second))
        log::warn(warning);
      break;
    case SyncMessage::Failed:
      return fail(std::move(message->second));
    default:
      return fail("unexpected message from the exec'd process");
    }
  }
}

} // namespace

Result<SpawnedExec> spawn_exec(const ExecChildContext &ctx, const ExecSpawn &spawn) {
  BERTH_TRY_ASSIGN(auto channel, SyncChannel::make_pair());
  auto &[berth_end, child_end] = channel;
  ExecChildContext child_ctx = ctx;
  child_ctx.channel = &child_end;

  struct clone_args args {};
  args.exit_signal = SIGCHLD;
  sys::clone_into_cgroup(args, spawn.cgroup_fd);
  long stager_pid = sys::clone3_raw(&args);
  if (stager_pid < 0)
    return fail_errno("clone the exec stager");
  if (stager_pid == 0)
    run_exec_stager(child_ctx);
  ChildProcess stager(static_cast<pid_t>(stager_pid));
  child_end.close();
  if (spawn.console_socket)
    spawn.console_socket->reset(); // the stager holds it now
  if (ctx.placed_by_berth) {
    BERTH_TRY_CTX(spawn.place(stager.pid()), "place the process");
    BERTH_TRY(berth_end.send(SyncMessage::Placed));
  }
  BERTH_TRY_ASSIGN(SpawnedExec spawned, spawned_by_stager(berth_end, stager));
  std::string process_state;
  if (spawn.seccomp_process_state)
    process_state = spawn.seccomp_process_state(spawned.child.pid());
  if (spawn.seccomp_listener)
    spawn.seccomp_listener->reset(); // the process holds it now
  BERTH_TRY(berth_end.send(SyncMessage::Commit, process_state));
  BERTH_TRY(follow_to_exec(berth_end));
  return spawned;
}

} // namespace berth::process
