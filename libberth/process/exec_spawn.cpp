// berth's side of exec's children (exec_child.hpp): the clone of the stager,
// and the conversation that follows the process to its execve.
#include <poll.h>
#include <sched.h>
#include <signal.h>

#include <cstdint>

#include <charconv>
#include <string_view>

#include "process/exec_child.hpp"
#include "sys/log.hpp"
#include "sys/syscalls.hpp"
#include "sys/text.hpp"

namespace berth::process {
namespace {

// Waits until the stager's report can be read, or the stager is gone without
// one: killed after its fork, it would otherwise leave berth waiting on a
// channel that the process, blocked on Commit, still holds open. (The process
// then reads end-of-file once berth gives up, and exits.)
Result<void> wait_for_report(const SyncChannel &berth_end, int stager_pidfd) {
  pollfd fds[2] = {{berth_end.fd(), POLLIN, 0}, {stager_pidfd, POLLIN, 0}};
  for (;;) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      return fail_errno("wait for the exec stager");
    }
    if (fds[0].revents != 0)
      return {};
    // It exited: a report it sent just before is readable now.
    pollfd channel{berth_end.fd(), POLLIN, 0};
    if (::poll(&channel, 1, 0) > 0)
      return {};
    return fail("the exec stager ended before it reported the process");
  }
}

// The stager's report: the pid of berth's new child, and a pidfd for it (safe
// from pid reuse: only berth may reap its own child).
Result<SpawnedExec> spawned_by_stager(const SyncChannel &berth_end, ChildProcess &stager,
                                      int stager_pidfd) {
  BERTH_TRY(wait_for_report(berth_end, stager_pidfd));
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

  int raw_pidfd = -1;
  struct clone_args args {};
  args.flags = CLONE_PIDFD;
  args.pidfd = reinterpret_cast<std::uint64_t>(&raw_pidfd);
  args.exit_signal = SIGCHLD;
  sys::clone_into_cgroup(args, spawn.cgroup_fd);
  long stager_pid = sys::clone3_raw(&args);
  if (stager_pid < 0)
    return fail_errno("clone the exec stager");
  if (stager_pid == 0)
    run_exec_stager(child_ctx);
  ChildProcess stager(static_cast<pid_t>(stager_pid));
  UniqueFd stager_pidfd(raw_pidfd);
  child_end.close();
  if (spawn.console_socket)
    spawn.console_socket->reset(); // the stager holds it now
  if (ctx.placed_by_berth) {
    BERTH_TRY_CTX(spawn.place(stager.pid()), "place the process");
    BERTH_TRY(berth_end.send(SyncMessage::Placed));
  }
  BERTH_TRY_ASSIGN(SpawnedExec spawned, spawned_by_stager(berth_end, stager, stager_pidfd.get()));
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
