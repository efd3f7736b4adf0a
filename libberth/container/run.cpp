#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#include <array>
#include <optional>
#include <span>
#include <vector>

#include "container/foreground_wait.hpp"
#include "container/lifecycle.hpp"
#include "container/terminal_proxy.hpp"
#include "linux/terminal.hpp"
#include "sys/phase_log.hpp"
#include "sys/syscalls.hpp"

namespace berth::container {

// Waits for the init, forwarding signals to it and, with a terminal berth
// drives, copying between the caller and the terminal; SIGWINCH then resizes
// the container's terminal instead (the kernel signals its foreground group).
Result<int> wait_forwarding_signals(const StoredState &state, process::ChildProcess &init,
                                    TerminalProxy *terminal) {
  BlockedSignals blocked;
  int sfd = ::signalfd(-1, &blocked.set(), SFD_CLOEXEC);
  if (sfd < 0)
    return fail_errno("signalfd");
  UniqueFd signals(sfd);
  // Our own child: its pid cannot be reused before we reap it, so the pidfd
  // needs no identity check (and must not have one: a zombie is still ours).
  int raw_pidfd = sys::pidfd_open_raw(init.pid());
  if (raw_pidfd < 0)
    return fail_errno("pidfd_open for container \"" + state.id + "\"");
  UniqueFd pidfd(raw_pidfd);
  for (;;) {
    int status = 0;
    pid_t done = ::waitpid(init.pid(), &status, WNOHANG);
    if (done == init.pid()) {
      init.release();
      if (terminal)
        terminal->drain();
      return exit_code_of(status);
    }
    if (done < 0 && errno != EINTR)
      return fail_errno("wait for container \"" + state.id + "\"");
    std::vector<pollfd> fds{{signals.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
    if (terminal)
      terminal->add_poll_fds(fds);
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR)
        continue;
      return fail_errno("poll");
    }
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info{};
      if (::read(signals.get(), &info, sizeof info) == sizeof info) {
        if (terminal && info.ssi_signo == SIGWINCH)
          terminal->resize();
        else
          (void)sys::pidfd_send_signal_raw(pidfd.get(), static_cast<int>(info.ssi_signo));
      }
    }
    if (terminal)
      terminal->handle(std::span(fds).subspan(2));
  }
}

Result<int> run(const GlobalOptions &global, const RunOptions &options) {
  BERTH_TRY_ASSIGN(
      CreatedContainer created,
      create_container(global, options.create,
                       options.detach ? CreateMode::RunDetached : CreateMode::RunForeground));
  // Removes everything as a forced delete would, the cgroup included, once our
  // own lock is let go.
  auto abandon = [&](Error error) -> Result<int> {
    { auto unlock = std::move(created.dir); }
    (void)remove(global, options.create.id, true);
    return fail(std::move(error));
  };
  // A terminal nobody else takes is berth's to drive, from before the
  // program's first output. The init sent the master during setup.
  std::optional<TerminalProxy> terminal;
  if (created.console) {
    auto master = linux::receive_console_master(created.console.get());
    if (!master)
      return abandon(std::move(master.error()));
    created.console.reset();
    terminal.emplace(std::move(*master));
    if (auto proxying = terminal->start(); !proxying)
      return abandon(std::move(proxying.error()));
  }
  log::Phase releasing("run " + options.create.id, "let the init exec the process");
  auto started = release_init(created.dir, created.state, &*created.release_channel);
  releasing.end();
  created.release_channel.reset();
  // The exec failed (a bad binary format, say).
  if (!started)
    return abandon(std::move(started.error()));
  if (options.detach) {
    created.init.release();
    { auto unlock = std::move(created.dir); }
    run_poststart_hooks(created.state);
    return 0;
  }
  std::string id = created.state.id;
  // Other commands (state, kill) must be able to reach the container meanwhile.
  StoredState state = created.state;
  { auto unlock = std::move(created.dir); }
  run_poststart_hooks(state);
  auto waited = wait_forwarding_signals(state, created.init, terminal ? &*terminal : nullptr);
  // The caller's terminal is itself again before anything else is said.
  terminal.reset();
  BERTH_TRY_ASSIGN(int code, std::move(waited));
  // Without a pid namespace of its own (the host's, or one joined by path as
  // a pod's member), the init's exit takes nothing with it: what it started
  // lives on in the container's cgroup. runc's run kills those once the init
  // has exited, --keep or not; so does berth (best effort: the code stands).
  if (!state.own_pid_namespace)
    (void)signal_container(state, SIGKILL, true);
  if (!options.keep) {
    // Someone may have deleted it meanwhile (delete --force from another shell):
    // that is the outcome wanted here too, not an error.
    auto removed = remove(global, id, true);
    if (!removed && !is_container_not_found(removed.error(), id))
      return fail(std::move(removed.error()));
  }
  return code;
}

} // namespace berth::container
