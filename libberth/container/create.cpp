#include <fcntl.h>
#include <limits.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>

#include "cgroup/manager.hpp"
#include "container/create_cgroup.hpp"
#include "container/hook_state.hpp"
#include "container/host_rootfs_mount.hpp"
#include "container/lifecycle.hpp"
#include "container/notify_socket.hpp"
#include "container/pid_file.hpp"
#include "container/preflight.hpp"
#include "container/rootless.hpp"
#include "linux/net_devices.hpp"
#include "linux/process_attributes.hpp"
#include "linux/process_setup.hpp"
#include "linux/terminal.hpp"
#include "process/finalize.hpp"
#include "process/hooks.hpp"
#include "seccomp/cache.hpp"
#include "seccomp/filter.hpp"
#include "sys/fault_injection.hpp"
#include "sys/log.hpp"
#include "sys/phase_log.hpp"
#include "sys/syscalls.hpp"

namespace berth::container {

Result<std::string> real_path(const std::string &path, std::string_view what) {
  char resolved[PATH_MAX];
  if (!::realpath(path.c_str(), resolved))
    return fail_errno(std::string(what) + " " + path);
  return std::string(resolved);
}

Result<std::string> resolve_rootfs(const std::string &bundle, const spec::Root &root) {
  std::string path = root.path.starts_with('/') ? root.path : bundle + "/" + root.path;
  BERTH_TRY_ASSIGN(std::string resolved, real_path(path, "rootfs"));
  struct stat st {};
  if (::stat(resolved.c_str(), &st) < 0)
    return fail_errno("rootfs " + resolved);
  if (!S_ISDIR(st.st_mode))
    return fail("rootfs " + resolved + " is not a directory");
  return resolved;
}

// The resources the container's cgroup gets: linux.resources, and for each
// node of linux.devices the right to make it (access "m") and nothing more.
// The device cgroup follows linux.resources.devices (then the default devices,
// which the cgroup layer adds), as runc's does: a node the config creates but
// no rule allows stays unusable. The engines list each device they pass in
// both places. The mknod rules come after the config's, whose usual leading
// "deny all" would undo them, and let the init make the nodes.
spec::Resources effective_resources(const spec::Linux &linux) {
  spec::Resources resources = linux.resources.value_or(spec::Resources{});
  for (const auto &device : linux.devices) {
    if (device.type == "p")
      continue; // a FIFO is not a device the cgroup controls
    resources.devices.push_back(spec::DeviceCgroupRule{
        .allow = true,
        .type = device.type == "b" ? "b" : "c", // "u" (unbuffered) is a char device
        .major = device.major,
        .minor = device.minor,
        .access = "m",
    });
  }
  return resources;
}

namespace {

// The socket `start` connects to.
Result<UniqueFd> listen_for_start(const StateDir &dir) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return fail_errno("create start socket");
  UniqueFd listener(fd);
  auto addr = dir.start_socket_address();
  if (::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) < 0)
    return fail_errno("bind start socket in " + dir.path());
  if (::listen(fd, 1) < 0)
    return fail_errno("listen on start socket");
  return listener;
}

// What the init needs of create's options.
process::InitOptions init_options(const CreateOptions &options) {
  process::InitOptions init;
  init.id = options.id;
  init.no_pivot = options.no_pivot;
  init.no_new_keyring = options.no_new_keyring;
  init.preserve_fds = options.preserve_fds;
  init.listen_fds = options.listen_fds;
  init.console_socket = options.console_socket;
  return init;
}

// What the init sends to the listenerPath agent with the listener fd. The
// filter is loaded during create or, usually, right before the exec at start:
// the state says which.
std::string seccomp_process_state(const spec::Config &config, const StoredState &stored) {
  const auto &profile = *config.linux->seccomp;
  State state = public_state(stored);
  state.status =
      process::seccomp_loads_before_exec(*config.process) ? Status::Running : Status::Creating;
  return seccomp::process_state_json(config.oci_version, stored.init.pid, profile.listener_metadata,
                                     state.to_json());
}

// runtime.md "Lifecycle": when a prestart, createRuntime or createContainer
// hook fails, the runtime "MUST generate an error, stop the container, and
// continue the lifecycle at step 12": the container is destroyed, then (step
// 13) "The poststop hooks MUST be invoked by the runtime". berth does so for
// every create that fails once the create-time hooks began (what they set up,
// a network say, is poststop's to undo), after its own cleanup. A create that
// fails before has run nothing of the config's hooks and, per "Errors", leaves
// things "as if the operation were never attempted": no poststop then.
class PoststopOnFailure {
public:
  PoststopOnFailure() = default;
  PoststopOnFailure(const PoststopOnFailure &) = delete;
  PoststopOnFailure &operator=(const PoststopOnFailure &) = delete;
  ~PoststopOnFailure() {
    if (armed_)
      process::run_hooks_warning_on_failure(process::HookKind::Poststop, state_.hooks.poststop,
                                            hook_state_json(state_, Status::Stopped));
  }
  void arm(const StoredState &state) {
    state_ = state;
    armed_ = true;
  }
  void disarm() { armed_ = false; }

private:
  StoredState state_;
  bool armed_ = false;
};

// A SCHED_FIFO or SCHED_RR process.scheduler needs realtime runtime in the
// container's cgroup (v1 gives a new one none): said now, not as the init's
// bare EPERM from sched_setattr.
Result<void> check_realtime_scheduler(const cgroup::Manager &cgroups,
                                      const spec::Process &process) {
  if (!process.scheduler)
    return {};
  const auto &policy = process.scheduler->policy;
  if (policy != "SCHED_FIFO" && policy != "SCHED_RR")
    return {};
  return cgroups.check_realtime_runtime(policy);
}

// The state directory <root>/<id>, made and locked: from here on the id is taken.
Result<StateDir> reserve_id(const GlobalOptions &global, const std::string &id) {
  auto reserved = StateDir::reserve(global.root, id);
  if (!reserved && global.rootless && reserved.error().errno_value() == EACCES)
    reserved.error().context("rootless: uid " + std::to_string(::geteuid()) +
                             " needs a state root it can write: pass --root or set "
                             "XDG_RUNTIME_DIR");
  return reserved;
}

// The new cgroup's limits (linux.resources, cgroup/apply.cpp), and the realtime
// runtime a realtime scheduler needs there.
Result<void> set_up_cgroup(cgroup::Manager &cgroups, const spec::Config &config, bool rootless) {
  if (config.linux)
    BERTH_TRY_CTX(apply_resources(cgroups, effective_resources(*config.linux), rootless),
                  "apply linux.resources");
  return check_realtime_scheduler(cgroups, *config.process);
}

// state.json as create first writes it: before the init exists.
StoredState initial_state(const CreatePlan &plan, const CreateOptions &options, bool has_cgroup) {
  const spec::Config &config = plan.config;
  StoredState state;
  state.oci_version = config.oci_version;
  state.id = options.id;
  state.bundle = plan.bundle;
  state.rootfs = plan.rootfs;
  state.created = rfc3339_now();
  state.owner = ::geteuid();
  state.annotations = config.annotations;
  state.own_pid_namespace = (plan.namespaces.new_flags & CLONE_NEWPID) != 0;
  if (has_cgroup)
    state.cgroup = plan.cgroups.describe();
  state.notify_socket = options.notify_socket;
  if (config.hooks) {
    state.hooks.poststart = config.hooks->poststart;
    state.hooks.poststop = config.hooks->poststop;
  }
  return state;
}

// What berth does for the init while spawn_init runs: record its pid (and put
// it in its cgroup), move linux.netDevices into its network namespace, and run
// the prestart and createRuntime hooks when it asks.
class InitEvents {
public:
  InitEvents(const spec::Config &config, cgroup::Manager &cgroups, StateDir &dir,
             StoredState &state, bool has_cgroup, bool cloned_into_cgroup,
             PoststopOnFailure &poststop_on_failure)
      : config_(config), cgroups_(cgroups), dir_(dir), state_(state), has_cgroup_(has_cgroup),
        cloned_into_cgroup_(cloned_into_cgroup), poststop_on_failure_(poststop_on_failure) {}

  Result<void> record_pid(pid_t pid) {
    sys::fault_point("cloned");
    auto start_time = live_process_start_time(pid);
    if (!start_time)
      return fail("container init exited during setup");
    state_.init = {pid, *start_time};
    // So that a delete after a killed create finds the init. One cloned into
    // its cgroup needs no such write (the delete kills the cgroup's
    // processes): a state file less per container, which on a disk-backed
    // --root is a measurable part of a create (bench/README.md).
    if (!cloned_into_cgroup_)
      BERTH_TRY(dir_.write(state_));
    sys::fault_point("pid-recorded");
    if (cgroups_.systemd_managed()) {
      std::optional<spec::Resources> resources;
      if (config_.linux)
        resources = effective_resources(*config_.linux);
      BERTH_TRY(cgroups_.place_in_systemd_scope(pid, resources ? &*resources : nullptr));
      state_.cgroup = cgroups_.describe(); // with the directories berth made
      BERTH_TRY(dir_.write(state_));
    } else if (!cloned_into_cgroup_ && has_cgroup_) {
      BERTH_TRY_CTX(cgroups_.add_process(pid), "move the init into its cgroup");
    }
    return {};
  }

  // linux.netDevices go into the init's network namespace before anything
  // runs in it, and before the createRuntime hooks, which may expect them.
  Result<void> move_net_devices(pid_t init_pid) {
    if (net_devices_moved_ || !config_.linux)
      return {};
    net_devices_moved_ = true;
    return linux::move_net_devices(config_.linux->net_devices, init_pid);
  }

  // prestart and createRuntime, when the init asks (see init.cpp): in berth's
  // namespaces, the init waiting before its pivot_root.
  Result<void> runtime_hooks() {
    BERTH_TRY(move_net_devices(state_.init.pid));
    if (!config_.hooks)
      return {};
    poststop_on_failure_.arm(state_);
    std::string hook_state = hook_state_json(state_, Status::Creating);
    BERTH_TRY(process::run_hooks(process::HookKind::Prestart, config_.hooks->prestart, hook_state));
    return process::run_hooks(process::HookKind::CreateRuntime, config_.hooks->create_runtime,
                              hook_state);
  }

private:
  const spec::Config &config_;
  cgroup::Manager &cgroups_;
  StateDir &dir_;
  StoredState &state_;
  bool has_cgroup_;
  bool cloned_into_cgroup_;
  PoststopOnFailure &poststop_on_failure_;
  bool net_devices_moved_ = false;
};

// No mount namespace: what the init mounts is in the host's tree, and goes
// with a failed create (and with delete, through the state, also after a
// killed create).
Result<std::optional<HostRootfsMountGuard>> guard_host_mounts(const CreatePlan &plan,
                                                              StoredState &state) {
  if (plan.namespaces.creates(CLONE_NEWNS) || plan.namespaces.joins(CLONE_NEWNS))
    return std::optional<HostRootfsMountGuard>();
  BERTH_TRY_ASSIGN(HostRootfsMountGuard guard, HostRootfsMountGuard::before_setup(plan.rootfs));
  state.host_rootfs_mount_below = guard.below();
  return std::optional<HostRootfsMountGuard>(std::move(guard));
}

// What the init gets in its copy of berth's memory: the plan and the fds it
// keeps (the start socket, the cgroup for CLONE_INTO_CGROUP, the seccomp
// listener's connection, the console socket).
process::InitContext init_context(const CreatePlan &plan, const CreateOptions &options,
                                  const process::SyncChannel &init_end, int start_listener,
                                  int cgroup_fd) {
  process::InitContext ctx{
      plan.config, init_options(options), plan.bundle, plan.rootfs, plan.namespaces,
      init_end,    start_listener,        cgroup_fd};
  if (plan.seccomp.program)
    ctx.seccomp = &*plan.seccomp.program;
  ctx.seccomp_listener = plan.seccomp.listener.get();
  ctx.console_socket = plan.console.init_end.get();
  return ctx;
}

// The commit step: the warnings printed, the pid file and the state written,
// Commit sent (with what the seccomp agent gets). After it the init waits for
// start, and nothing of create is undone any more.
Result<void> commit(const CreatePlan &plan, const CreateOptions &options, bool released_by_start,
                    const process::SpawnedInit &spawned, const StateDir &dir, StoredState &state,
                    std::optional<HostRootfsMountGuard> &host_mounts,
                    const process::SyncChannel &berth_end) {
  for (const auto &w : plan.warnings)
    log::warn(w);
  for (const auto &w : spawned.warnings)
    log::warn(w);
  if (!options.pid_file.empty())
    BERTH_TRY(write_pid_file(options.pid_file, spawned.init.pid()));
  state.creating = false;
  if (host_mounts) {
    BERTH_TRY_ASSIGN(state.host_rootfs_mount, host_mounts->made());
  }
  // run records "created" and "started" at once, in release_init.
  if (released_by_start)
    BERTH_TRY(dir.write(state));
  std::string process_state;
  if (plan.seccomp.program && plan.seccomp.program->uses_notify())
    process_state = seccomp_process_state(plan.config, state);
  sys::fault_point("before-commit");
  BERTH_TRY(berth_end.send(process::SyncMessage::Commit, process_state));
  sys::fault_point("committed");
  return {};
}

Result<CreatedContainer> create_container_steps(const GlobalOptions &global,
                                                const CreateOptions &options, CreateMode mode,
                                                PoststopOnFailure &poststop_on_failure) {
  const bool released_by_start = mode == CreateMode::Create;
  const std::string phase_of = "create " + options.id;
  log::Phase validating(phase_of, "load and validate config.json");
  BERTH_TRY_ASSIGN(CreatePlan plan, preflight(global, options, mode == CreateMode::RunForeground));
  validating.end();

  log::Phase reserving(phase_of, "reserve the state directory");
  BERTH_TRY_ASSIGN(StateDir dir, reserve_id(global, options.id));
  sys::fault_point("state-reserved");
  if (!options.notify_socket.empty())
    BERTH_TRY(prepare_notify_socket(dir, plan.config));
  reserving.end();

  log::Phase making_cgroup(phase_of, "create the cgroup and apply linux.resources");
  // A systemd scope is made for the init's pid, in record_pid.
  bool has_cgroup = true;
  if (!plan.cgroups.systemd_managed()) {
    BERTH_TRY_ASSIGN(has_cgroup,
                     create_cgroup(plan.cgroups, plan.config, global.rootless, plan.warnings));
  }
  CgroupCleanup cgroup_cleanup(plan.cgroups); // a failed create leaves no cgroup
  if (has_cgroup && !plan.cgroups.systemd_managed())
    BERTH_TRY(set_up_cgroup(plan.cgroups, plan.config, global.rootless));
  making_cgroup.end();

  log::Phase spawning(phase_of, "spawn the init and set up the container");
  UniqueFd listener;
  if (released_by_start) {
    BERTH_TRY_ASSIGN(listener, listen_for_start(dir));
  }
  BERTH_TRY_ASSIGN(auto channel, process::SyncChannel::make_pair());
  auto &[berth_end, init_end] = channel;
  StoredState state = initial_state(plan, options, has_cgroup);
  BERTH_TRY_ASSIGN(auto host_mounts, guard_host_mounts(plan, state));
  BERTH_TRY(dir.write(state)); // names the cgroup for a delete after a killed create
  sys::fault_point("cgroup-created");
  auto ctx = init_context(plan, options, init_end, listener.get(),
                          has_cgroup ? plan.cgroups.clone_into_fd() : -1);
  InitEvents events{plan.config,        plan.cgroups,       dir, state, has_cgroup,
                    ctx.cgroup_fd >= 0, poststop_on_failure};
  // execCPUAffinity.initial: berth runs there from now on, and the init
  // inherits it until it joins the cgroup.
  BERTH_TRY(linux::apply_initial_cpu_affinity(*plan.config.process));
  BERTH_TRY_ASSIGN(process::SpawnedInit spawned,
                   process::spawn_init(
                       ctx, berth_end, init_end,
                       [&events](pid_t pid) { return events.record_pid(pid); },
                       [&events] { return events.runtime_hooks(); }));
  BERTH_TRY(events.move_net_devices(spawned.init.pid()));
  listener.reset(); // the init holds it now
  plan.seccomp.listener.reset();
  plan.console.init_end.reset();
  sys::fault_point("init-ready");
  spawning.end();

  log::Phase committing(phase_of, "record the state and commit");
  BERTH_TRY(commit(plan, options, released_by_start, spawned, dir, state, host_mounts, berth_end));
  dir.commit();
  cgroup_cleanup.release();
  if (host_mounts)
    host_mounts->release();
  CreatedContainer created{std::move(dir), std::move(spawned.init), std::move(state),
                           std::move(plan.console.caller_end)};
  if (!released_by_start)
    created.release_channel.emplace(std::move(berth_end));
  return created;
}

} // namespace

Result<CreatedContainer> create_container(const GlobalOptions &global, const CreateOptions &options,
                                          CreateMode mode) {
  PoststopOnFailure poststop_on_failure; // runs after every cleanup of a failed create
  log::Phase total("create " + options.id, "all phases");
  auto created = create_container_steps(global, options, mode, poststop_on_failure);
  if (created)
    poststop_on_failure.disarm();
  return created;
}

Result<void> create(const GlobalOptions &global, const CreateOptions &options) {
  BERTH_TRY_ASSIGN(CreatedContainer created, create_container(global, options));
  // The init outlives berth create: its new parent is whoever reaps orphans
  // (the engine's shim as subreaper, or pid 1).
  created.init.release();
  return {};
}

} // namespace berth::container
