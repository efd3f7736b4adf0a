#include "process/spawn.hpp"
#include "process/host_side_requests.hpp"
#include "process/idmapped_trees.hpp"
#include "sys/text.hpp"

#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

#include <charconv>
#include <optional>

#include "sys/syscalls.hpp"

namespace berth::process {

namespace {

Result<void> enter_for_children_namespaces(const NamespacePlan &plan) {
  // setns on a pid or time namespace only changes where *children* go: berth
  // itself stays where it is, and the init it clones next lands inside.
  return plan.join(kForChildrenFlags);
}

// The namespaces the init is cloned into. With a new user namespace the ipc
// namespace is left to the init, which makes it once its id maps are written:
// an ipc namespace's mqueue filesystem gives its root the creator's ids, which
// before the maps are the overflow ids (/dev/mqueue would be 65534:65534).
int first_clone_flags(const NamespacePlan &plan) {
  int flags = clone_flags(plan);
  return (flags & CLONE_NEWUSER) ? (flags & ~CLONE_NEWIPC) : flags;
}

Result<ChildProcess> clone_first_process(const InitContext &ctx) {
  const auto &plan = ctx.namespaces;
  bool staged = plan.needs_staging();
  struct clone_args args {};
  args.exit_signal = SIGCHLD;
  if (!staged) {
    args.flags = static_cast<std::uint64_t>(first_clone_flags(plan));
    // Without an fd (v1, hybrid) berth moves the init and sends Placed.
    sys::clone_into_cgroup(args, ctx.cgroup_fd);
  }
  long pid = sys::clone3_raw(&args);
  if (pid < 0)
    return fail_errno("clone container init");
  if (pid == 0) {
    // The child: a copy of berth, single-threaded, that never returns.
    if (staged)
      run_staging_process(ctx);
    run_init(ctx, false);
  }
  return ChildProcess(static_cast<pid_t>(pid));
}

Result<pid_t> parse_pid(const std::string &text) {
  pid_t pid = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
  if (ec != std::errc() || pid <= 0)
    return fail("bad init pid from the staging process");
  return pid;
}

} // namespace

Result<SpawnedInit> spawn_init(const InitContext &ctx, const SyncChannel &berth_end,
                               SyncChannel &init_end,
                               const std::function<Result<void>(pid_t)> &on_pid,
                               const std::function<Result<void>()> &runtime_hooks) {
  std::optional<OwnPidNamespace> own_pid_namespace;
  if (ctx.namespaces.joins(CLONE_NEWPID)) {
    BERTH_TRY_ASSIGN(auto own, OwnPidNamespace::open());
    own_pid_namespace.emplace(std::move(own));
  }
  BERTH_TRY(enter_for_children_namespaces(ctx.namespaces));
  BERTH_TRY_ASSIGN(ChildProcess first, clone_first_process(ctx));
  own_pid_namespace.reset();
  init_end.close();
  bool staged = ctx.namespaces.needs_staging();

  // on_pid records the init and, without CLONE_INTO_CGROUP, moves it into its
  // cgroup; the init waits for Placed before it does anything else.
  auto init_known = [&](pid_t pid) -> Result<void> {
    BERTH_TRY(on_pid(pid));
    if (ctx.cgroup_fd < 0)
      BERTH_TRY(berth_end.send(SyncMessage::Placed));
    return {};
  };
  SpawnedInit spawned;
  if (!staged) {
    spawned.init = std::move(first);
    BERTH_TRY(init_known(spawned.init.pid()));
  }
  for (;;) {
    BERTH_TRY_ASSIGN(auto message, berth_end.receive());
    switch (message.first) {
    case SyncMessage::WriteIdMaps:
      // Maps are written for the process that made the user namespace: the
      // first child in both spawn shapes.
      BERTH_TRY(write_id_maps(first.pid() ? first.pid() : spawned.init.pid(), *ctx.config.linux));
      BERTH_TRY(berth_end.send(SyncMessage::IdMapsWritten));
      break;
    case SyncMessage::InitPid: {
      BERTH_TRY_ASSIGN(pid_t pid, parse_pid(message.second));
      // CLONE_PARENT made the init our child; the staging process is done.
      spawned.init = ChildProcess(pid);
      first.kill_and_reap();
      BERTH_TRY(init_known(pid));
      break;
    }
    case SyncMessage::IdmappedTree:
      if (!spawned.init.pid())
        return fail("container init asked for a mount before its pid was known");
      BERTH_TRY(serve_idmapped_tree(ctx, spawned.init.pid(), message.second, berth_end));
      break;
    case SyncMessage::HostBindSource:
    case SyncMessage::HostDeviceNode:
      if (!spawned.init.pid())
        return fail("container init asked for a host-side fd before its pid was known");
      BERTH_TRY(serve_host_side_request(ctx, spawned.init.pid(), message.first, message.second,
                                        berth_end));
      break;
    case SyncMessage::RunRuntimeHooks:
      // A failing hook fails create: the init, still waiting, is killed.
      if (!spawned.init.pid())
        return fail("container init asked for hooks before its pid");
      if (runtime_hooks)
        BERTH_TRY(runtime_hooks());
      BERTH_TRY(berth_end.send(SyncMessage::RuntimeHooksDone, std::to_string(spawned.init.pid())));
      break;
    case SyncMessage::Ready: {
      if (!spawned.init.pid())
        return fail("container init reported ready before its pid");
      for (std::string_view warning : sys::split_lines(message.second))
        spawned.warnings.emplace_back(warning);
      return spawned;
    }
    case SyncMessage::Failed:
      return fail(std::move(message.second));
    default:
      return fail("unexpected message during container setup");
    }
  }
}

} // namespace berth::process
