// What `run` and a foreground `exec` share while they wait for the process
// they started: the signals a user sends to berth are meant for that process
// (as with runc), and its wait status becomes berth's exit code.
#pragma once

#include <signal.h>
#include <sys/wait.h>

#include <array>

namespace berth::container {

inline constexpr std::array kForwardedSignals = {SIGHUP,  SIGINT,   SIGQUIT, SIGTERM, SIGUSR1,
                                                 SIGUSR2, SIGWINCH, SIGCONT, SIGALRM};

// Blocks kForwardedSignals (to be read from a signalfd) for its lifetime.
class BlockedSignals {
public:
  BlockedSignals() {
    sigemptyset(&set_);
    for (int sig : kForwardedSignals)
      sigaddset(&set_, sig);
    ::sigprocmask(SIG_BLOCK, &set_, &previous_);
  }
  BlockedSignals(const BlockedSignals &) = delete;
  BlockedSignals &operator=(const BlockedSignals &) = delete;
  ~BlockedSignals() { ::sigprocmask(SIG_SETMASK, &previous_, nullptr); }
  const sigset_t &set() const { return set_; }

private:
  sigset_t set_{};
  sigset_t previous_{};
};

// The shell's convention: the exit status, or 128+N when killed by signal N.
inline int exit_code_of(int wait_status) {
  if (WIFEXITED(wait_status))
    return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status))
    return 128 + WTERMSIG(wait_status);
  return 255;
}

} // namespace berth::container
