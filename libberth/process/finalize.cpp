#include "process/finalize.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "lsm/apparmor.hpp"
#include "lsm/selinux.hpp"

namespace berth::process {

Result<void> become_non_dumpable() {
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    return fail_errno("prctl PR_SET_DUMPABLE 0");
  return {};
}

Result<void> become_namespace_root() {
  if (::setresgid(0, 0, 0) < 0 && errno != EINVAL)
    return fail_errno("setresgid to the user namespace's root");
  if (::setresuid(0, 0, 0) < 0 && errno != EINVAL)
    return fail_errno("setresuid to the user namespace's root");
  return {};
}

namespace {

Result<void> apply_lsm_labels(const spec::Process &process) {
  if (process.apparmor_profile)
    BERTH_TRY_CTX(lsm::apparmor_set_exec_profile(*process.apparmor_profile),
                  "apply AppArmor profile " + *process.apparmor_profile);
  if (process.selinux_label)
    BERTH_TRY_CTX(lsm::selinux_set_exec_label(*process.selinux_label),
                  "apply SELinux label " + *process.selinux_label);
  return {};
}

// A cwd root may not enter is entered by the user, after the switch: true then.
Result<bool> enter_cwd_before_switch(const std::string &cwd) {
  auto entered = linux::enter_cwd(cwd);
  if (entered)
    return false;
  if (entered.error().errno_value() == EACCES)
    return true;
  return fail(std::move(entered.error()));
}

} // namespace

Result<ProcessPreparation> prepare_final_steps(const spec::Process &process) {
  ProcessPreparation prepared;
  BERTH_TRY(apply_lsm_labels(process));
  prepared.env = linux::environment_with_home(process); // the container's /etc/passwd, as root
  BERTH_TRY_ASSIGN(prepared.credentials, linux::prepare_credentials(process, prepared.warnings));
  BERTH_TRY_ASSIGN(prepared.enter_cwd_as_user, enter_cwd_before_switch(process.cwd));
  BERTH_TRY_ASSIGN(prepared.executable, linux::find_executable(process));
  return prepared;
}

bool seccomp_loads_before_exec(const spec::Process &process) {
  if (process.no_new_privileges)
    return true;
  if (!process.capabilities)
    return false;
  const auto &effective = process.capabilities->effective;
  return std::find(effective.begin(), effective.end(), "CAP_SYS_ADMIN") != effective.end();
}

Result<void> close_fds_except(unsigned preserve_fds, std::vector<int> keep) {
  std::sort(keep.begin(), keep.end());
  unsigned next = 3 + preserve_fds;
  for (int fd : keep) {
    if (fd < 0 || static_cast<unsigned>(fd) < next)
      continue;
    if (static_cast<unsigned>(fd) > next &&
        ::syscall(SYS_close_range, next, static_cast<unsigned>(fd) - 1, 0) < 0)
      return fail_errno("close inherited fds");
    next = static_cast<unsigned>(fd) + 1;
  }
  if (::syscall(SYS_close_range, next, ~0U, 0) < 0)
    return fail_errno("close inherited fds");
  return {};
}

Result<void> seal_inherited_fds(unsigned preserve_fds) {
  unsigned first_closed = 3 + preserve_fds;
  if (::syscall(SYS_close_range, first_closed, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    return fail_errno("mark inherited fds close-on-exec");
  for (unsigned fd = 3; fd < first_closed; ++fd) {
    int flags = ::fcntl(static_cast<int>(fd), F_GETFD);
    if (flags >= 0)
      ::fcntl(static_cast<int>(fd), F_SETFD, flags & ~FD_CLOEXEC);
  }
  return {};
}

std::vector<char *> c_strings(const std::vector<std::string> &strings) {
  std::vector<char *> out;
  out.reserve(strings.size() + 1);
  for (const auto &s : strings)
    out.push_back(const_cast<char *>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

namespace {

// Loads the filter and, when it notifies, hands its listener fd to the agent.
// The fd stays open, close-on-exec: closing it would be one more call.
Result<void> load_filter(const FinalSteps &steps, UniqueFd &notify_fd) {
  BERTH_TRY_ASSIGN(notify_fd, seccomp::load(*steps.seccomp));
  if (!notify_fd)
    return {};
  auto sent = seccomp::send_listener_fd(steps.listener, notify_fd.get(), steps.process_state);
  if (!sent)
    sent.error().context("send the seccomp listener fd to " + std::string(steps.listener_path));
  return sent;
}

Result<void> finish(const FinalSteps &steps, char *const *argv, char *const *envp,
                    UniqueFd &notify_fd) {
  const spec::Process &process = *steps.process;
  const ProcessPreparation &prepared = *steps.prepared;
  bool late = seccomp_loads_before_exec(process);
  if (steps.seccomp && !late)
    BERTH_TRY(load_filter(steps, notify_fd));
  BERTH_TRY(linux::finish_credentials(process, prepared.credentials));
  if (prepared.enter_cwd_as_user)
    BERTH_TRY(linux::enter_cwd(process.cwd));
  if (steps.after_credentials)
    BERTH_TRY(steps.after_credentials());
  if (process.no_new_privileges)
    BERTH_TRY(linux::apply_no_new_privileges());
  if (steps.seccomp && late)
    BERTH_TRY(load_filter(steps, notify_fd));
  ::execve(prepared.executable.c_str(), argv, envp);
  // In the kernel's words: engines map them to exit codes (127, 126).
  const int error = errno;
  return fail(Error::in_kernel_words("exec " + prepared.executable, error));
}

} // namespace

Error finish_and_exec(const FinalSteps &steps) {
  auto argv = c_strings(steps.process->args);
  auto envp = c_strings(steps.prepared->env);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  UniqueFd notify_fd;
  auto finished = finish(steps, argv.data(), envp.data(), notify_fd);
  return finished.error();
}

} // namespace berth::process
