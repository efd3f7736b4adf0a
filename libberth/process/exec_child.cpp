// The exec'd process from clone to execve, in two copies of berth (each
// single-threaded, never returning). The stager joins the container's cgroup
// and every namespace but the pid one while it is invisible to the container
// (it stays in berth's pid namespace), and only then forks the process into
// the container's pid namespace: what a process in the container can ever see
// of it (/proc/<pid>/root, cwd, mountinfo, fds) is already the container's.
// The process sets itself up and becomes the user's program.
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "linux/process_attributes.hpp"
#include "linux/process_setup.hpp"
#include "linux/terminal.hpp"
#include "process/exec_child.hpp"
#include "process/finalize.hpp"
#include "process/terminal_setup.hpp"
#include "sys/fault_injection.hpp"
#include "sys/syscalls.hpp"

namespace berth::process {
namespace {

// The stager starts with copies of all of berth's fds: the state directory
// (whose lock would otherwise outlive berth), the caller's log file, ...
// Only stdio, the --preserve-fds ones and what the setup needs stay.
Result<void> close_unneeded_fds(const ExecChildContext &ctx) {
  std::vector<int> keep = {ctx.channel->fd(), ctx.init_pidfd, ctx.seccomp_listener,
                           ctx.console_socket, ctx.init_root};
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

// A task under SCHED_DEADLINE cannot fork, and SCHED_FLAG_RESET_ON_FORK is
// undone by the fork: for those the process sets the scheduler itself, after
// the fork. The stager still applies a real-time policy without the flag, so
// that the process may then add it without CAP_SYS_NICE (keeping a policy and
// priority needs no privilege), which a joined user namespace would lack.
bool is_deadline(const spec::Scheduler &scheduler) {
  return scheduler.policy == "SCHED_DEADLINE";
}
bool resets_on_fork(const spec::Scheduler &scheduler) {
  const auto &flags = scheduler.flags;
  return std::find(flags.begin(), flags.end(), "SCHED_FLAG_RESET_ON_FORK") != flags.end();
}
bool scheduler_set_after_fork(const spec::Process &process) {
  return process.scheduler &&
         (is_deadline(*process.scheduler) || resets_on_fork(*process.scheduler));
}

// RLIMIT_NPROC is checked at fork: a low one would make the stager's own
// fork fail (for a caller other than root). The process lowers it itself
// after the fork.
bool is_nproc(const spec::Rlimit &limit) {
  return limit.type == "RLIMIT_NPROC";
}

// Raising a hard limit, lowering oom_score_adj, a real-time I/O class or
// scheduling policy need capabilities in the host's user namespace: all come
// before joining the container's, and the fork keeps them. The stager is in
// its cgroup by now, for execCPUAffinity.final.
Result<void> apply_host_privileged_attributes(const ExecChildContext &ctx) {
  const auto &process = ctx.process;
  std::vector<spec::Rlimit> limits_before_fork;
  std::copy_if(process.rlimits.begin(), process.rlimits.end(),
               std::back_inserter(limits_before_fork),
               [](const spec::Rlimit &limit) { return !is_nproc(limit); });
  BERTH_TRY(linux::apply_rlimits(limits_before_fork));
  if (process.oom_score_adj)
    BERTH_TRY(linux::apply_oom_score_adj(*process.oom_score_adj));
  if (!scheduler_set_after_fork(process))
    return linux::apply_process_attributes(process, ctx.personality, ctx.memory_policy);
  spec::Process before_fork = process;
  auto &flags = before_fork.scheduler->flags;
  flags.erase(std::remove(flags.begin(), flags.end(), "SCHED_FLAG_RESET_ON_FORK"), flags.end());
  if (is_deadline(*before_fork.scheduler))
    before_fork.scheduler.reset();
  return linux::apply_process_attributes(before_fork, ctx.personality, ctx.memory_policy);
}

// The stager's part: everything that must happen before the process may be
// seen from the container. Returns the process's pid (in berth's pid
// namespace: the stager's own).
Result<pid_t> stage(const ExecChildContext &ctx) {
  BERTH_TRY(become_non_dumpable());
  BERTH_TRY(close_unneeded_fds(ctx));
  // Nothing of the container's runs outside its cgroup: without clone3's
  // CLONE_INTO_CGROUP, berth says when the stager is in it.
  if (ctx.placed_by_berth)
    BERTH_TRY(ctx.channel->expect(SyncMessage::Placed));
  BERTH_TRY(apply_host_privileged_attributes(ctx));
  BERTH_TRY(join_namespaces(ctx));
  ::close(ctx.init_pidfd);
  // No mount namespace to bring the container's root: the init's, as it
  // chrooted (rootfs.hpp).
  if (ctx.init_root >= 0) {
    if (::fchdir(ctx.init_root) < 0 || ::chroot(".") < 0 || ::chdir("/") < 0)
      return fail_errno("chroot into the container's root");
    ::close(ctx.init_root);
  }
  if (ctx.join_flags & CLONE_NEWUSER)
    BERTH_TRY(become_namespace_root());
  // CLONE_PARENT: berth's child, which berth waits for and reaps. The
  // process is born in the container's pid namespace (if it has its own)
  // and inherits all of the above.
  struct clone_args args {};
  args.flags = CLONE_PARENT;
  long pid = sys::clone3_raw(&args);
  if (pid < 0)
    return fail_errno("clone the process into the container's pid namespace");
  if (pid == 0)
    run_exec_process(ctx);
  sys::fault_point("exec-stager-forked");
  return static_cast<pid_t>(pid);
}

struct Prepared {
  ProcessPreparation process;
  std::string process_state; // for the seccomp listener
};

// The process's part, inside every namespace and the cgroup: from berth's
// Commit (payload: the process state for the seccomp listener) to just
// before the execve.
Result<Prepared> set_up(const ExecChildContext &ctx) {
  const auto &process = ctx.process;
  Prepared prepared;
  BERTH_TRY_ASSIGN(prepared.process_state, ctx.channel->expect(SyncMessage::Commit));
  std::vector<spec::Rlimit> after_fork;
  std::copy_if(process.rlimits.begin(), process.rlimits.end(), std::back_inserter(after_fork),
               is_nproc);
  BERTH_TRY(linux::apply_rlimits(after_fork));
  if (scheduler_set_after_fork(process))
    BERTH_TRY(linux::apply_scheduler(*process.scheduler));
  if (process.terminal)
    BERTH_TRY(set_up_terminal(process, ctx.console_socket, {}, false));
  // Without a terminal too the process leads a session and process group of
  // its own, as under runc: not berth's caller's, whose job control and
  // terminal signals must not reach into the container.
  else if (::setsid() < 0)
    return fail_errno("start a new session");
  // Everything but the credential switch and the exec happens before the
  // seccomp filter (finish_and_exec).
  BERTH_TRY_ASSIGN(prepared.process, prepare_final_steps(process));
  std::string warning_lines;
  for (const auto &w : prepared.process.warnings)
    warning_lines += w + "\n";
  if (!warning_lines.empty())
    BERTH_TRY(ctx.channel->send(SyncMessage::Ready, warning_lines));
  return prepared;
}

} // namespace

void run_exec_stager(const ExecChildContext &ctx) {
  auto pid = stage(ctx);
  if (!pid)
    ctx.channel->report_and_exit(pid.error(), 127);
  (void)ctx.channel->send(SyncMessage::InitPid, std::to_string(*pid));
  ::_exit(0);
}

void run_exec_process(const ExecChildContext &ctx) {
  auto prepared = set_up(ctx);
  if (!prepared)
    ctx.channel->report_and_exit(prepared.error(), 127);
  if (auto sealed = seal_inherited_fds(ctx.preserve_fds); !sealed)
    ctx.channel->report_and_exit(sealed.error(), 127);
  FinalSteps steps;
  steps.process = &ctx.process;
  steps.prepared = &prepared->process;
  steps.seccomp = ctx.seccomp;
  steps.listener = ctx.seccomp_listener;
  steps.listener_path = "the listenerPath agent";
  steps.process_state = prepared->process_state;
  ctx.channel->report_and_exit(finish_and_exec(steps), 127);
}

} // namespace berth::process
