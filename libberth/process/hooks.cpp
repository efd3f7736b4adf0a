#include "process/hooks.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>

#include "process/child_process.hpp"
#include "process/finalize.hpp"
#include "sys/log.hpp"
#include "sys/syscalls.hpp"
#include "tables/signals.hpp"
#include "json/value.hpp"

namespace berth::process {
namespace {

// The hook's side of the fork: only system calls from here to execve, as in
// any child of a process that may hold locks. Its stdin is the state pipe;
// every fd above stderr is close-on-exec (the exec-error pipe must survive
// until the exec itself); signal mask and dispositions are reset, since an
// ignored SIGPIPE (run's terminal proxy) or a blocked SIGTERM (run's signal
// forwarding) would otherwise reach the hook's program.
[[noreturn]] void exec_hook(const char *path, char *const argv[], char *const envp[],
                            int state_read, int error_write) {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig)
    (void)::sigaction(sig, &dfl, nullptr); // SIGKILL, SIGSTOP and glibc's own refuse: fine
  if (state_read == STDIN_FILENO) {
    (void)::fcntl(STDIN_FILENO, F_SETFD, 0);
  } else if (::dup2(state_read, STDIN_FILENO) < 0) {
    int e = errno;
    (void)!::write(error_write, &e, sizeof e);
    ::_exit(127);
  }
  (void)::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
  ::execve(path, argv, envp);
  int e = errno;
  (void)!::write(error_write, &e, sizeof e);
  ::_exit(127);
}

std::int64_t now_ms() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// SIGPIPE blocked while berth writes the state: a hook that exits without
// reading it makes the write fail with EPIPE, which is not an error here. A
// SIGPIPE that this write raised is taken off the pending set before the old
// mask comes back, so that it cannot kill berth later.
class SigpipeBlocked {
public:
  SigpipeBlocked() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    ::sigprocmask(SIG_BLOCK, &pipe_, &previous_);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  }
  SigpipeBlocked(const SigpipeBlocked &) = delete;
  SigpipeBlocked &operator=(const SigpipeBlocked &) = delete;
  ~SigpipeBlocked() {
    sigset_t pending;
    sigpending(&pending);
    if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
      struct timespec zero {};
      (void)::sigtimedwait(&pipe_, nullptr, &zero);
    }
    ::sigprocmask(SIG_SETMASK, &previous_, nullptr);
  }

private:
  sigset_t pipe_{};
  sigset_t previous_{};
  bool was_pending_ = false;
};

std::string signal_name(int sig) {
  for (const auto &info : tables::kSignals)
    if (info.number == sig)
      return "SIG" + std::string(info.name);
  return "signal " + std::to_string(sig);
}

// Feeds the state to the hook and waits for it to exit, up to timeout_ms
// (negative: no limit). Returns false when the time ran out.
Result<bool> feed_and_wait(int pidfd, UniqueFd state_write, std::string_view state_json,
                           std::int64_t timeout_ms) {
  if (::fcntl(state_write.get(), F_SETFL, O_NONBLOCK) < 0)
    return fail_errno("make the hook's stdin pipe non-blocking");
  SigpipeBlocked sigpipe;
  std::size_t written = 0;
  std::int64_t deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : -1;
  for (;;) {
    pollfd fds[2] = {{pidfd, POLLIN, 0}, {state_write.get(), POLLOUT, 0}};
    nfds_t count = state_write ? 2 : 1;
    int wait_ms = -1;
    if (deadline >= 0) {
      std::int64_t left = deadline - now_ms();
      if (left <= 0)
        return false;
      wait_ms = static_cast<int>(std::min<std::int64_t>(left, 3600 * 1000));
    }
    int ready = ::poll(fds, count, wait_ms);
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready < 0)
      return fail_errno("wait for the hook");
    if (ready == 0)
      return false;
    if (count == 2 && fds[1].revents != 0) {
      ssize_t n =
          ::write(state_write.get(), state_json.data() + written, state_json.size() - written);
      if (n > 0)
        written += static_cast<std::size_t>(n);
      // EPIPE (the hook closed its stdin) or any other error: it gets no more.
      bool failed = n < 0 && errno != EAGAIN && errno != EINTR;
      if (failed || written == state_json.size())
        state_write.reset(); // end-of-file for a hook that reads to the end
    }
    if (fds[0].revents & POLLIN)
      return true;
  }
}

} // namespace

std::string_view hook_kind_name(HookKind kind) {
  switch (kind) {
  case HookKind::Prestart:
    return "prestart";
  case HookKind::CreateRuntime:
    return "createRuntime";
  case HookKind::CreateContainer:
    return "createContainer";
  case HookKind::StartContainer:
    return "startContainer";
  case HookKind::Poststart:
    return "poststart";
  case HookKind::Poststop:
    return "poststop";
  }
  return "unknown";
}

namespace {

// "createRuntime hook 1 (/usr/bin/netns-setup)".
std::string hook_label(HookKind kind, std::size_t index, const spec::Hook &hook) {
  return std::string(hook_kind_name(kind)) + " hook " + std::to_string(index) + " (" + hook.path +
         ")";
}

} // namespace

Result<void> run_hook(const spec::Hook &hook, std::string_view state_json) {
  // Everything the child needs is made before the fork.
  std::vector<std::string> args = hook.args;
  if (args.empty())
    args.push_back(hook.path);
  auto argv = c_strings(args);
  // A hook without env gets berth's own, as under runc and crun (engines'
  // hooks rely on PATH and the like); one with env gets exactly that.
  auto envp = hook.env.empty() ? std::vector<char *>() : c_strings(hook.env);
  char *const *env = hook.env.empty() ? environ : envp.data();
  int state_pipe[2];
  if (::pipe2(state_pipe, O_CLOEXEC) < 0)
    return fail_errno("create the hook's stdin pipe");
  UniqueFd state_read(state_pipe[0]), state_write(state_pipe[1]);
  int error_pipe[2];
  if (::pipe2(error_pipe, O_CLOEXEC) < 0)
    return fail_errno("create a pipe");
  UniqueFd error_read(error_pipe[0]), error_write(error_pipe[1]);

  int raw_pidfd = -1;
  struct clone_args clone {};
  clone.flags = CLONE_PIDFD;
  clone.pidfd = reinterpret_cast<std::uint64_t>(&raw_pidfd);
  clone.exit_signal = SIGCHLD;
  long pid = sys::clone3_raw(&clone);
  if (pid < 0)
    return fail_errno("fork");
  if (pid == 0)
    exec_hook(hook.path.c_str(), argv.data(), env, state_read.get(), error_write.get());
  ChildProcess child(static_cast<pid_t>(pid)); // killed and reaped on any early return
  UniqueFd pidfd(raw_pidfd);
  state_read.reset();
  error_write.reset();

  // A timeout of more than a year is no timeout (and cannot overflow).
  constexpr std::int64_t kLongest = 366LL * 24 * 3600;
  std::int64_t timeout_ms = hook.timeout && *hook.timeout <= kLongest ? *hook.timeout * 1000 : -1;
  BERTH_TRY_ASSIGN(bool exited,
                   feed_and_wait(pidfd.get(), std::move(state_write), state_json, timeout_ms));
  if (!exited) {
    child.kill_and_reap();
    return fail("timed out after " + std::to_string(*hook.timeout) + " s");
  }
  int status = 0;
  while (::waitpid(child.pid(), &status, 0) < 0) {
    if (errno != EINTR)
      return fail_errno("wait for the hook");
  }
  child.release();
  int exec_errno = 0;
  if (::read(error_read.get(), &exec_errno, sizeof exec_errno) == sizeof exec_errno)
    return fail(Error::from_errno("exec", exec_errno));
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
    return fail("exited with status " + std::to_string(WEXITSTATUS(status)));
  if (WIFSIGNALED(status))
    return fail("killed by " + signal_name(WTERMSIG(status)));
  return {};
}

Result<void> run_hooks(HookKind kind, const std::vector<spec::Hook> &hooks,
                       std::string_view state_json) {
  for (std::size_t i = 0; i < hooks.size(); ++i)
    BERTH_TRY_CTX(run_hook(hooks[i], state_json), hook_label(kind, i, hooks[i]));
  return {};
}

void run_hooks_warning_on_failure(HookKind kind, const std::vector<spec::Hook> &hooks,
                                  std::string_view state_json) {
  for (std::size_t i = 0; i < hooks.size(); ++i) {
    auto ran = run_hook(hooks[i], state_json);
    if (!ran)
      log::warn(ran.error().context(hook_label(kind, i, hooks[i])).message());
  }
}

std::string HookState::to_json() const {
  auto v = json::Value::object();
  v.set("ociVersion", json::Value::string(oci_version));
  v.set("id", json::Value::string(id));
  v.set("status", json::Value::string(status));
  if (pid != 0)
    v.set("pid", json::Value::number(std::int64_t{pid}));
  v.set("bundle", json::Value::string(bundle));
  if (!annotations.empty()) {
    auto &object = v.set("annotations", json::Value::object());
    for (const auto &[key, value] : annotations)
      object.set(key, json::Value::string(value));
  }
  return json::serialize(v);
}

} // namespace berth::process
