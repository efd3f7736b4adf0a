#include <fcntl.h>
#include <limits.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>

#include "cgroup/manager.hpp"
#include "cgroup/systemd/systemd_dbus.hpp"
#include "container/create_cgroup.hpp"
#include "container/fault_injection.hpp"
#include "container/feature_gate.hpp"
#include "container/hooks.hpp"
#include "container/host_rootfs_mount.hpp"
#include "container/lifecycle.hpp"
#include "container/notify_socket.hpp"
#include "container/pid_file.hpp"
#include "container/rootless.hpp"
#include "linux/net_devices.hpp"
#include "linux/process_attributes.hpp"
#include "linux/process_setup.hpp"
#include "linux/terminal.hpp"
#include "seccomp/cache.hpp"
#include "seccomp/filter.hpp"
#include "spec/parser.hpp"
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

// linux.seccomp compiled now, with the rest of validation, so that a bad profile
// fails before any side effect (the compiled-program cache in the state root is
// the one exception, and harmless); and its listenerPath connected while berth
// can still reach host paths (the init sends the listener fd over it).
struct SeccompSetup {
  std::optional<seccomp::Program> program;
  UniqueFd listener;
};

Result<SeccompSetup> prepare_seccomp(const spec::Config &config, const std::string &state_root) {
  SeccompSetup setup;
  if (!config.linux || !config.linux->seccomp)
    return setup;
  const auto &profile = *config.linux->seccomp;
  BERTH_TRY_ASSIGN(
      setup.program,
      seccomp::compile_cached(profile, state_root, seccomp::enosys_for_newer(config.annotations)));
  if (setup.program->uses_notify()) {
    BERTH_TRY_ASSIGN(setup.listener, seccomp::connect_listener(*profile.listener_path));
  }
  return setup;
}

// What the init sends to the listenerPath agent with the listener fd. The
// filter is loaded during create or, usually, right before the exec at start:
// the state says which.
std::string seccomp_process_state(const spec::Config &config, const StoredState &stored) {
  const auto &profile = *config.linux->seccomp;
  State state = public_state(stored);
  state.status = seccomp_loads_before_exec(*config.process) ? Status::Running : Status::Creating;
  return seccomp::process_state_json(config.oci_version, stored.init.pid, profile.listener_metadata,
                                     state.to_json());
}

// Where the init sends process.terminal's master: --console-socket, connected
// now while berth can still reach host paths (a missing or dead listener fails
// create before any side effect), or for a foreground run one end of a
// socketpair whose other end the caller keeps.
struct ConsoleSetup {
  UniqueFd init_end;
  UniqueFd caller_end;
};

Result<ConsoleSetup> prepare_console(const spec::Process &process, const CreateOptions &options) {
  ConsoleSetup setup;
  if (!process.terminal)
    return setup;
  if (!options.console_socket.empty()) {
    BERTH_TRY_ASSIGN(setup.init_end, linux::connect_console_socket(options.console_socket));
    return setup;
  }
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
    return fail_errno("create the terminal's socket pair");
  setup.init_end.reset(pair[0]);
  setup.caller_end.reset(pair[1]);
  return setup;
}

// --systemd-cgroup: cgroupsPath must then be "slice:prefix:name", and systemd
// must run to create the scope (once the init exists: see record_pid), checked
// here before any side effect.
Result<void> check_systemd_cgroup(const spec::Config &config, const std::string &id,
                                  bool rootless) {
  // A rootless container's scope would belong to the user's own systemd
  // (the session bus), which berth does not talk to.
  if (rootless)
    return fail("--systemd-cgroup: rootless containers would need systemd's user manager, which "
                "berth does not support yet");
  std::optional<std::string> path;
  if (config.linux)
    path = config.linux->cgroups_path;
  BERTH_TRY(cgroup::systemd::parse_systemd_cgroups_path(path, id));
  return cgroup::systemd::require_systemd();
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
      run_hooks_warning_on_failure(HookKind::Poststop, state_.hooks.poststop,
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

Result<CreatedContainer> create_container_steps(const GlobalOptions &global,
                                                const CreateOptions &options, CreateMode mode,
                                                PoststopOnFailure &poststop_on_failure) {
  const bool released_by_start = mode == CreateMode::Create;
  const std::string phase_of = "create " + options.id;
  log::Phase validating(phase_of, "load and validate config.json");
  // Everything that can be checked is checked before the first side effect.
  BERTH_TRY(validate_id(options.id));
  BERTH_TRY_ASSIGN(std::string bundle, real_path(options.bundle, "bundle"));
  BERTH_TRY_ASSIGN(spec::Config config, spec::load_config(bundle));
  if (global.systemd_cgroup)
    BERTH_TRY(check_systemd_cgroup(config, options.id, global.rootless));
  BERTH_TRY_ASSIGN(auto warnings, check_supported(config, options));
  BERTH_TRY(check_terminal(*config.process, options, mode == CreateMode::RunForeground));
  BERTH_TRY_CTX(linux::validate_sysctl(config), "config.json");
  BERTH_TRY_ASSIGN(std::string rootfs, resolve_rootfs(bundle, config.root));
  BERTH_TRY_ASSIGN(NamespacePlan namespaces, NamespacePlan::build(config));
  BERTH_TRY(check_user_namespace(namespaces));
  BERTH_TRY_ASSIGN(SeccompSetup seccomp_setup, prepare_seccomp(config, global.root));
  BERTH_TRY_ASSIGN(ConsoleSetup console, prepare_console(*config.process, options));
  BERTH_TRY_ASSIGN(cgroup::Manager cgroups,
                   global.systemd_cgroup ? cgroup::Manager::for_systemd_scope(config, options.id)
                                         : cgroup::Manager::for_container(config, options.id));
  validating.end();

  log::Phase reserving(phase_of, "reserve the state directory");
  auto reserved = StateDir::reserve(global.root, options.id);
  if (!reserved && global.rootless && reserved.error().errno_value() == EACCES)
    reserved.error().context("rootless: uid " + std::to_string(::geteuid()) +
                             " needs a state root it can write: pass --root or set "
                             "XDG_RUNTIME_DIR");
  BERTH_TRY_ASSIGN(StateDir dir, std::move(reserved));
  fault_point("state-reserved");
  if (!options.notify_socket.empty())
    BERTH_TRY(prepare_notify_socket(dir, config));
  reserving.end();
  log::Phase making_cgroup(phase_of, "create the cgroup and apply linux.resources");
  // A systemd scope is made for the init's pid, in record_pid.
  bool has_cgroup = true;
  if (!cgroups.systemd_managed()) {
    BERTH_TRY_ASSIGN(has_cgroup, create_cgroup(cgroups, config, global.rootless, warnings));
  }
  CgroupCleanup cgroup_cleanup(cgroups); // a failed create leaves no cgroup
  if (config.linux && has_cgroup && !cgroups.systemd_managed())
    BERTH_TRY_CTX(apply_resources(cgroups, effective_resources(*config.linux), global.rootless),
                  "apply linux.resources");
  if (has_cgroup && !cgroups.systemd_managed())
    BERTH_TRY(check_realtime_scheduler(cgroups, *config.process));
  making_cgroup.end();
  log::Phase spawning(phase_of, "spawn the init and set up the container");
  UniqueFd listener;
  if (released_by_start) {
    BERTH_TRY_ASSIGN(listener, listen_for_start(dir));
  }
  BERTH_TRY_ASSIGN(auto channel, SyncChannel::make_pair());
  auto &[berth_end, init_end] = channel;

  StoredState state;
  state.oci_version = config.oci_version;
  state.id = options.id;
  state.bundle = bundle;
  state.rootfs = rootfs;
  state.created = rfc3339_now();
  state.owner = ::geteuid();
  state.annotations = config.annotations;
  state.own_pid_namespace = (namespaces.new_flags & CLONE_NEWPID) != 0;
  if (has_cgroup)
    state.cgroup = cgroups.describe();
  state.notify_socket = options.notify_socket;
  if (config.hooks) {
    state.hooks.poststart = config.hooks->poststart;
    state.hooks.poststop = config.hooks->poststop;
  }
  // No mount namespace: what the init mounts is in the host's tree, and goes
  // with a failed create (and with delete, through the state, also after a
  // killed create).
  std::optional<HostRootfsMountGuard> host_mounts;
  if (!namespaces.creates(CLONE_NEWNS) && !namespaces.joins(CLONE_NEWNS)) {
    BERTH_TRY_ASSIGN(HostRootfsMountGuard guard, HostRootfsMountGuard::before_setup(rootfs));
    state.host_rootfs_mount_below = guard.below();
    host_mounts.emplace(std::move(guard));
  }
  BERTH_TRY(dir.write(state)); // names the cgroup for a delete after a killed create
  fault_point("cgroup-created");

  InitContext ctx{config,     options,  bundle,         rootfs,
                  namespaces, init_end, listener.get(), has_cgroup ? cgroups.clone_into_fd() : -1};
  if (seccomp_setup.program)
    ctx.seccomp = &*seccomp_setup.program;
  ctx.seccomp_listener = seccomp_setup.listener.get();
  ctx.console_socket = console.init_end.get();
  auto record_pid = [&](pid_t pid) -> Result<void> {
    fault_point("cloned");
    auto start_time = live_process_start_time(pid);
    if (!start_time)
      return fail("container init exited during setup");
    state.init = {pid, *start_time};
    // So that a delete after a killed create finds the init. One cloned into
    // its cgroup needs no such write (the delete kills the cgroup's
    // processes): a state file less per container, which on a disk-backed
    // --root is a measurable part of a create (bench/README.md).
    if (ctx.cgroup_fd < 0)
      BERTH_TRY(dir.write(state));
    fault_point("pid-recorded");
    if (cgroups.systemd_managed()) {
      std::optional<spec::Resources> resources;
      if (config.linux)
        resources = effective_resources(*config.linux);
      BERTH_TRY(cgroups.place_in_systemd_scope(pid, resources ? &*resources : nullptr));
      state.cgroup = cgroups.describe(); // with the directories berth made
      BERTH_TRY(dir.write(state));
    } else if (ctx.cgroup_fd < 0 && has_cgroup) {
      BERTH_TRY_CTX(cgroups.add_process(pid), "move the init into its cgroup");
    }
    return {};
  };
  // linux.netDevices go into the init's network namespace before anything
  // runs in it, and before the createRuntime hooks, which may expect them.
  bool net_devices_moved = false;
  auto move_net_devices = [&](pid_t init_pid) -> Result<void> {
    if (net_devices_moved || !config.linux)
      return {};
    net_devices_moved = true;
    return linux::move_net_devices(config.linux->net_devices, init_pid);
  };
  // prestart and createRuntime, when the init asks (see init.cpp): in berth's
  // namespaces, the init waiting before its pivot_root.
  auto runtime_hooks = [&]() -> Result<void> {
    BERTH_TRY(move_net_devices(state.init.pid));
    if (!config.hooks)
      return {};
    poststop_on_failure.arm(state);
    std::string hook_state = hook_state_json(state, Status::Creating);
    BERTH_TRY(run_hooks(HookKind::Prestart, config.hooks->prestart, hook_state));
    return run_hooks(HookKind::CreateRuntime, config.hooks->create_runtime, hook_state);
  };
  // execCPUAffinity.initial: berth runs there from now on, and the init
  // inherits it until it joins the cgroup.
  BERTH_TRY(linux::apply_initial_cpu_affinity(*config.process));
  BERTH_TRY_ASSIGN(SpawnedInit spawned,
                   spawn_init(ctx, berth_end, init_end, record_pid, runtime_hooks));
  BERTH_TRY(move_net_devices(spawned.init.pid()));
  listener.reset(); // the init holds it now
  seccomp_setup.listener.reset();
  console.init_end.reset();
  fault_point("init-ready");
  spawning.end();
  log::Phase committing(phase_of, "record the state and commit");

  for (const auto &w : warnings)
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
  if (seccomp_setup.program && seccomp_setup.program->uses_notify())
    process_state = seccomp_process_state(config, state);
  fault_point("before-commit");
  BERTH_TRY(berth_end.send(SyncMessage::Commit, process_state));
  fault_point("committed");
  dir.commit();
  cgroup_cleanup.release();
  if (host_mounts)
    host_mounts->release();
  CreatedContainer created{std::move(dir), std::move(spawned.init), std::move(state),
                           std::move(console.caller_end)};
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
