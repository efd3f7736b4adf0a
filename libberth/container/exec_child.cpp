// The exec'd process from clone to execve: a copy of berth (single-threaded,
// never returning) that joins the container and becomes the user's program.
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "container/exec.hpp"
#include "container/init.hpp" // seccomp_loads_before_exec
#include "container/pre_exec.hpp"
#include "linux/process_attributes.hpp"
#include "linux/process_setup.hpp"
#include "linux/terminal.hpp"

namespace berth::container {
namespace {

[[noreturn]] void report_and_exit(const ExecChildContext &ctx, const Error &error) {
  (void)ctx.channel.send(SyncMessage::Failed, error.message());
  ::_exit(127);
}

// The child starts with copies of all of berth's fds: the state directory
// (whose lock would otherwise outlive berth), the caller's log file, ...
// Only stdio, the --preserve-fds ones and what the setup needs stay.
Result<void> close_unneeded_fds(const ExecChildContext &ctx) {
  std::vector<int> keep = {ctx.channel.fd(), ctx.init_pidfd, ctx.seccomp_listener,
                           ctx.console_socket};
  return close_fds_except(ctx.preserve_fds, std::move(keep));
}

// All of the container's namespaces that are not berth's own, in one call:
// with a pidfd the kernel enters them together, the user namespace first, so
// that the others are checked against the capabilities it gives. The mount
// namespace brings the container's root and puts the cwd at it.
Result<void> join_namespaces(const ExecChildContext &ctx) {
  if (ctx.join_flags != 0 && ::setns(ctx.init_pidfd, ctx.join_flags) < 0)
    return fail_errno("join the container's namespaces");
  return {};
}

// Joining a user namespace keeps berth's ids, which it does not map (they
// read as the overflow ids there): become its root, when it has one, so that
// what the setup makes (the terminal) is owned as the init's would be and can
// be handed to the process' user. EINVAL: the namespace does not map 0.
Result<void> become_namespace_root() {
  if (::setresgid(0, 0, 0) < 0 && errno != EINVAL)
    return fail_errno("setresgid to the user namespace's root");
  if (::setresuid(0, 0, 0) < 0 && errno != EINVAL)
    return fail_errno("setresuid to the user namespace's root");
  return {};
}

// process.terminal: a pty of the container's devpts (its mount namespace is
// ours now), its master sent to whoever drives it, its replica our stdio and
// controlling terminal.
Result<void> set_up_terminal(const ExecChildContext &ctx) {
  const auto &process = ctx.process;
  BERTH_TRY_ASSIGN(linux::Pty pty, linux::open_pty(process.console_size));
  // The terminal belongs to the user who works in it (as for the init), who
  // can then reopen it (/dev/tty, /proc/self/fd/0).
  if (::fchown(pty.replica.get(), process.user.uid, static_cast<gid_t>(-1)) < 0)
    return fail_errno("chown " + pty.replica_path + " to uid " + std::to_string(process.user.uid));
  BERTH_TRY(linux::send_console_master(ctx.console_socket, pty.master.get(), pty.replica_path));
  pty.master.reset();
  ::close(ctx.console_socket);
  return linux::become_terminal_owner(pty.replica.get());
}

// Hands the seccomp listener fd, with the process state berth sent, to the
// agent at listenerPath. Allocates nothing unless it fails.
Result<void> send_notify_fd(const ExecChildContext &ctx, const UniqueFd &notify_fd,
                            std::string_view process_state) {
  if (!notify_fd)
    return {};
  return with_context(
      seccomp::send_listener_fd(ctx.seccomp_listener, notify_fd.get(), process_state),
      "send the seccomp listener fd");
}

struct Prepared {
  std::string executable;
  std::string process_state; // for the seccomp listener
};

Result<Prepared> set_up(const ExecChildContext &ctx) {
  const auto &process = ctx.process;
  Prepared prepared;
  BERTH_TRY(become_non_dumpable());
  BERTH_TRY(close_unneeded_fds(ctx));
  // Nothing of the container's runs outside its cgroup: berth says when this
  // process is in it (clone3 may have put it there already).
  BERTH_TRY_ASSIGN(prepared.process_state, ctx.channel.expect(SyncMessage::Commit));

  // Raising a hard limit or lowering oom_score_adj needs CAP_SYS_RESOURCE in
  // the host's user namespace: both come before joining the container's.
  BERTH_TRY(linux::apply_rlimits(process.rlimits));
  if (process.oom_score_adj)
    BERTH_TRY(linux::apply_oom_score_adj(*process.oom_score_adj));
  // So do a real-time I/O class or scheduling policy (CAP_SYS_ADMIN,
  // CAP_SYS_NICE); the process is in its cgroup for execCPUAffinity.final.
  BERTH_TRY(linux::apply_process_attributes(process, ctx.personality, ctx.memory_policy));
  BERTH_TRY(join_namespaces(ctx));
  ::close(ctx.init_pidfd);
  if (ctx.join_flags & CLONE_NEWUSER)
    BERTH_TRY(become_namespace_root());

  if (process.terminal)
    BERTH_TRY(set_up_terminal(ctx));
  BERTH_TRY(apply_lsm_labels(process));
  UniqueFd early_notify_fd;
  if (ctx.seccomp && !seccomp_loads_before_exec(process)) {
    BERTH_TRY_ASSIGN(early_notify_fd, seccomp::load(*ctx.seccomp));
    BERTH_TRY(send_notify_fd(ctx, early_notify_fd, prepared.process_state));
  }
  std::vector<std::string> warnings;
  BERTH_TRY(linux::apply_credentials(process, warnings));
  std::string warning_lines;
  for (const auto &w : warnings)
    warning_lines += w + "\n";
  if (!warning_lines.empty())
    BERTH_TRY(ctx.channel.send(SyncMessage::Ready, warning_lines));
  BERTH_TRY(linux::enter_cwd(process.cwd));
  BERTH_TRY_ASSIGN(prepared.executable, linux::find_executable(process));
  if (process.no_new_privileges)
    BERTH_TRY(linux::apply_no_new_privileges());
  return prepared;
}

} // namespace

void run_exec_child(const ExecChildContext &ctx) {
  auto prepared = set_up(ctx);
  if (!prepared)
    report_and_exit(ctx, prepared.error());
  if (auto sealed = seal_inherited_fds(ctx.preserve_fds); !sealed)
    report_and_exit(ctx, sealed.error());
  // berth blocks the signals it forwards while it waits; the program starts
  // with none blocked.
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  auto argv = c_strings(ctx.process.args);
  auto envp = c_strings(ctx.process.env);
  // The last step before execve when the process may load it itself: nothing
  // of berth's is filtered but the exec (and the report of its failure).
  if (ctx.seccomp && seccomp_loads_before_exec(ctx.process)) {
    auto notify_fd = seccomp::load(*ctx.seccomp);
    if (!notify_fd)
      report_and_exit(ctx, notify_fd.error());
    if (auto sent = send_notify_fd(ctx, *notify_fd, prepared->process_state); !sent)
      report_and_exit(ctx, sent.error());
  }
  ::execve(prepared->executable.c_str(), argv.data(), envp.data());
  report_and_exit(ctx, Error::from_errno("exec " + prepared->executable));
}

} // namespace berth::container
