#include "process/init.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <limits.h>

#include <algorithm>
#include <charconv>
#include <vector>

#include "linux/net_devices.hpp"
#include "linux/process_attributes.hpp"
#include "linux/process_setup.hpp"
#include "linux/rootfs.hpp"
#include "linux/stdio_dev_null.hpp"
#include "linux/terminal.hpp"
#include "process/finalize.hpp"
#include "process/hooks.hpp"
#include "process/host_side_requests.hpp"
#include "process/idmapped_trees.hpp"
#include "process/terminal_setup.hpp"
#include "sys/syscalls.hpp"

namespace berth::process {
namespace {

Result<void> request_id_maps(const InitContext &ctx) {
  // A non-dumpable process's /proc files belong to root: an unprivileged
  // berth, and newuidmap checking who owns the process, could not write its
  // maps. Dumpable only for as long as that takes.
  if (::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
    return fail_errno("make the init dumpable for its id maps");
  BERTH_TRY(ctx.channel.send(SyncMessage::WriteIdMaps));
  BERTH_TRY(ctx.channel.expect(SyncMessage::IdMapsWritten));
  BERTH_TRY(become_non_dumpable());
  return become_namespace_root();
}

// A session keyring of the container's own, so that keys never leak between
// containers (runc's behaviour; --no-new-keyring keeps the caller's).
Result<void> join_session_keyring(const std::string &id) {
  constexpr int kKeyctlJoinSessionKeyring = 1; // KEYCTL_JOIN_SESSION_KEYRING
  if (::syscall(SYS_keyctl, kKeyctlJoinSessionKeyring, id.c_str()) < 0) {
    // Kernels without keys, or a seccomp'd host, do not have the call: nothing to isolate.
    if (errno == ENOSYS || errno == EACCES)
      return {};
    return fail_errno("join a new session keyring");
  }
  return {};
}

Result<void> make_directories(const std::string &path) {
  for (std::size_t pos = path.find('/', 1);; pos = path.find('/', pos + 1)) {
    std::string partial = path.substr(0, pos);
    if (::mkdir(partial.c_str(), 0755) < 0 && errno != EEXIST)
      return fail_errno("create cwd " + partial);
    if (pos == std::string::npos)
      return {};
  }
}

// Right after clone the init holds copies of all of berth's fds, among them the
// state directory whose flock serializes commands: keeping it would block every
// other command on this container until the exec. Only stdio, the --preserve-fds
// ones and what the setup itself needs survive.
Result<void> close_unneeded_fds(const InitContext &ctx) {
  std::vector<int> keep = {ctx.channel.fd(), ctx.start_listener, ctx.cgroup_fd,
                           ctx.seccomp_listener, ctx.console_socket};
  for (const auto &ns : ctx.namespaces.joined)
    keep.push_back(ns.fd.get());
  return close_fds_except(ctx.options.preserve_fds, std::move(keep));
}

struct Prepared {
  ProcessPreparation process;
  // The state the startContainer hooks get, made with the create-time ones.
  std::string start_hook_state;
};

// The hooks of create, at their moment (config.md): after the container's
// namespaces exist, before pivot_root. berth runs prestart and createRuntime
// in the runtime namespace when asked; createContainer runs here, in the
// container's namespaces, where the host's paths still resolve (its path
// "MUST resolve in the runtime namespace"). berth's answer is the init's pid
// as the host sees it, for the state the hooks get: the startContainer hooks'
// state is made now too.
Result<void> run_create_hooks(const InitContext &ctx, Prepared &prepared) {
  if (!ctx.config.hooks)
    return {};
  const auto &hooks = *ctx.config.hooks;
  if (hooks.prestart.empty() && hooks.create_runtime.empty() && hooks.create_container.empty() &&
      hooks.start_container.empty())
    return {};
  BERTH_TRY(ctx.channel.send(SyncMessage::RunRuntimeHooks));
  BERTH_TRY_ASSIGN(std::string pid_text, ctx.channel.expect(SyncMessage::RuntimeHooksDone));
  HookState state;
  state.oci_version = ctx.config.oci_version;
  state.id = ctx.options.id;
  state.bundle = ctx.bundle;
  state.annotations = ctx.config.annotations;
  auto [end, ec] = std::from_chars(pid_text.data(), pid_text.data() + pid_text.size(), state.pid);
  if (ec != std::errc() || end != pid_text.data() + pid_text.size())
    return fail("bad init pid from berth: \"" + pid_text + "\"");
  state.status = "creating";
  BERTH_TRY(run_hooks(HookKind::CreateContainer, hooks.create_container, state.to_json()));
  state.status = "created";
  prepared.start_hook_state = state.to_json();
  return {};
}

Result<Prepared> set_up(const InitContext &ctx, bool namespaces_entered) {
  const auto &config = ctx.config;
  const auto &process = *config.process;
  Prepared prepared;
  BERTH_TRY(become_non_dumpable());
  BERTH_TRY(close_unneeded_fds(ctx));

  // Nothing of the container runs outside its cgroup.
  if (ctx.cgroup_fd < 0)
    BERTH_TRY(ctx.channel.expect(SyncMessage::Placed));

  if (!namespaces_entered) {
    if (ctx.namespaces.creates(CLONE_NEWUSER))
      BERTH_TRY(request_id_maps(ctx));
    // Left out of the first clone with a new user namespace (first_clone_flags
    // in spawn.cpp), so that its mqueue filesystem's root belongs to the
    // container's root, not to the overflow id the init had before its maps.
    if (ctx.namespaces.creates(CLONE_NEWUSER) && ctx.namespaces.creates(CLONE_NEWIPC) &&
        ::unshare(CLONE_NEWIPC) < 0)
      return fail_errno("create ipc namespace");
    BERTH_TRY(ctx.namespaces.join(~kForChildrenFlags));
    if (!ctx.namespaces.time_offsets.empty())
      BERTH_TRY(make_time_namespace(ctx.namespaces, true));
  }
  if (ctx.namespaces.creates(CLONE_NEWCGROUP) && ::unshare(CLONE_NEWCGROUP) < 0)
    return fail_errno("create cgroup namespace");
  if (ctx.namespaces.creates(CLONE_NEWNET))
    BERTH_TRY(linux::bring_up_loopback());

  // Relative mount sources are relative to the bundle.
  if (::chdir(ctx.bundle.c_str()) < 0)
    return fail_errno("chdir to bundle " + ctx.bundle);

  // The rootfs is set up in every case, as runc does: in a new mount namespace;
  // in one joined by path (the rootfs is bound and pivoted into there, which
  // moves the root of the processes already inside it too); and without one,
  // in the runtime's own, where the init only chroots (see rootfs.hpp and
  // host_rootfs_mount.hpp for what keeps that from touching the host).
  const bool shares_host_mounts =
      !ctx.namespaces.creates(CLONE_NEWNS) && !ctx.namespaces.joins(CLONE_NEWNS);
  auto create_hooks = [&] { return run_create_hooks(ctx, prepared); };
  linux::RootfsOptions rootfs{ctx.rootfs, ctx.options.no_pivot, shares_host_mounts,
                              idmapped_tree_requester(ctx.channel), create_hooks};
  if (ctx.namespaces.creates(CLONE_NEWUSER) || ctx.namespaces.joins(CLONE_NEWUSER)) {
    rootfs.host_bind_source = host_bind_source_requester(ctx.channel);
    rootfs.host_device_node = host_device_node_requester(ctx.channel);
  }
  BERTH_TRY(linux::prepare_rootfs(config, rootfs));
  // Before the root and paths are made read-only: /dev/console may be created.
  if (process.terminal)
    BERTH_TRY_CTX(set_up_terminal(process, ctx.console_socket, ctx.options.console_socket, true),
                  "set up the terminal");
  else {
    // Without a terminal the init still leads a session of its own, as with
    // runc: not the caller's (whose terminal signals would reach it), and one
    // criu can checkpoint (a session led from outside the container cannot be).
    if (::setsid() < 0)
      return fail_errno("start a new session");
    linux::reopen_dev_null_stdio();
  }
  BERTH_TRY(linux::apply_sysctl(config));
  BERTH_TRY(linux::apply_hostname(config));
  // The cwd is created as root, as runc does, and before the root (or a path
  // above the cwd) is made read-only: a config may name a cwd the image lacks
  // even with root.readonly.
  BERTH_TRY(make_directories(process.cwd));
  BERTH_TRY(linux::finalize_rootfs(config));

  if (!ctx.options.no_new_keyring)
    BERTH_TRY(join_session_keyring(ctx.options.id));
  BERTH_TRY(linux::apply_rlimits(process.rlimits));
  if (process.oom_score_adj)
    BERTH_TRY(linux::apply_oom_score_adj(*process.oom_score_adj));
  // While still privileged and unfiltered, and in the cgroup (execCPUAffinity.final).
  BERTH_TRY(linux::apply_process_attributes(
      process, config.linux->personality ? &*config.linux->personality : nullptr,
      config.linux->memory_policy ? &*config.linux->memory_policy : nullptr));

  // The cwd (created above) is entered, the executable looked up and the
  // credentials prepared before the seccomp filter, which only the last steps
  // run under (finish_and_exec).
  BERTH_TRY_ASSIGN(prepared.process, prepare_final_steps(process));
  // Socket activation passes through as runc does: the container's program is
  // the listener now, and it is pid 1 of its own pid namespace.
  if (ctx.options.listen_fds > 0) {
    prepared.process.env.push_back("LISTEN_FDS=" + std::to_string(ctx.options.listen_fds));
    prepared.process.env.push_back("LISTEN_PID=1");
  }
  return prepared;
}

[[noreturn]] void exit_with_error_to(int connection, const Error &error) {
  (void)sys::write_all(connection, error.message());
  ::_exit(127);
}

// The connection that lets the init go: `start`'s, accepted on the start
// socket; or, for run (no socket), the setup channel once berth sends Start.
int wait_for_start(const InitContext &ctx) {
  if (ctx.start_listener < 0)
    return ctx.channel.expect(SyncMessage::Start) ? ctx.channel.fd() : -1;
  int connection;
  do
    connection = ::accept4(ctx.start_listener, nullptr, nullptr, SOCK_CLOEXEC);
  while (connection < 0 && errno == EINTR);
  ::close(ctx.start_listener);
  return connection;
}

// Blocks until released, then execs. The connection is close-on-exec: the
// releasing berth reads end-of-file when the exec succeeded, and the error
// otherwise.
[[noreturn]] void wait_for_start_and_exec(const InitContext &ctx, const Prepared &prepared,
                                          std::string_view process_state) {
  int connection = wait_for_start(ctx);
  if (connection < 0)
    ::_exit(1);

  FinalSteps steps;
  steps.process = &*ctx.config.process;
  steps.prepared = &prepared.process;
  steps.seccomp = ctx.seccomp;
  steps.listener = ctx.seccomp_listener;
  if (ctx.seccomp && ctx.config.linux->seccomp->listener_path)
    steps.listener_path = *ctx.config.linux->seccomp->listener_path;
  steps.process_state = process_state;
  // startContainer: in the container, as the process' user, once start let
  // go; a failure is start's error and the container stops with this exit.
  if (ctx.config.hooks && !ctx.config.hooks->start_container.empty())
    steps.after_credentials = [&] {
      return run_hooks(HookKind::StartContainer, ctx.config.hooks->start_container,
                       prepared.start_hook_state);
    };
  exit_with_error_to(connection, finish_and_exec(steps));
}

} // namespace

void run_init(const InitContext &ctx, bool namespaces_entered) {
  auto prepared = set_up(ctx, namespaces_entered);
  if (!prepared)
    ctx.channel.report_and_exit(prepared.error(), 1);
  auto sealed = seal_inherited_fds(ctx.options.preserve_fds);
  if (!sealed)
    ctx.channel.report_and_exit(sealed.error(), 1);

  std::string warnings;
  for (const auto &w : prepared->process.warnings)
    warnings += w + "\n";
  if (!ctx.channel.send(SyncMessage::Ready, warnings))
    ::_exit(1);
  // Berth records the container, then lets go. If berth died instead, the
  // channel reads end-of-file and the init ends here: no parent-death signal is
  // needed (and one would race with create's own exit after Commit).
  auto process_state = ctx.channel.expect(SyncMessage::Commit);
  if (!process_state)
    ::_exit(1);
  wait_for_start_and_exec(ctx, *prepared, *process_state);
}

void run_staging_process(const InitContext &ctx) {
  auto staged = [&]() -> Result<pid_t> {
    const auto &plan = ctx.namespaces;
    BERTH_TRY(become_non_dumpable());
    BERTH_TRY(close_unneeded_fds(ctx));
    BERTH_TRY(plan.join(~kForChildrenFlags));
    if (plan.creates(CLONE_NEWUSER)) {
      if (::unshare(CLONE_NEWUSER) < 0)
        return fail_errno("create user namespace");
      BERTH_TRY(request_id_maps(ctx));
    }
    // Created now, so that they belong to the user namespace entered above;
    // the pid and time namespaces apply to the next child, the real init.
    if (int rest = clone_flags(plan) & ~CLONE_NEWUSER; rest != 0 && ::unshare(rest) < 0)
      return fail_errno("create namespaces");
    if (!plan.time_offsets.empty())
      BERTH_TRY(make_time_namespace(plan, false));
    struct clone_args args {};
    args.flags = CLONE_PARENT; // the init becomes berth's child, not ours
    // Without an fd (v1, hybrid) berth moves the init and sends Placed.
    sys::clone_into_cgroup(args, ctx.cgroup_fd);
    long pid = sys::clone3_raw(&args);
    if (pid < 0)
      return fail_errno("clone container init");
    if (pid == 0)
      run_init(ctx, true);
    return static_cast<pid_t>(pid);
  }();
  if (!staged)
    ctx.channel.report_and_exit(staged.error(), 1);
  (void)ctx.channel.send(SyncMessage::InitPid, std::to_string(*staged));
  ::_exit(0);
}

} // namespace berth::process
