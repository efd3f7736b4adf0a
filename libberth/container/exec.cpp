// `exec`, berth's side: checks the container, works out the process, clones it
// into the container's cgroup and pid namespace, and follows it to its execve
// (and, in the foreground, to its exit).
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <optional>
#include <string>
#include <vector>

#include "container/exec.hpp"
#include "container/foreground_wait.hpp"
#include "container/lifecycle.hpp"
#include "container/pid_file.hpp"
#include "container/terminal_proxy.hpp"
#include "linux/process_attributes.hpp"
#include "linux/terminal.hpp"
#include "lsm/apparmor.hpp"
#include "process/exec_child.hpp"
#include "process/finalize.hpp"
#include "process/namespaces.hpp"
#include "seccomp/cache.hpp"
#include "spec/parser.hpp"
#include "sys/log.hpp"
#include "sys/phase_log.hpp"
#include "sys/syscalls.hpp"
#include "sys/text.hpp"
#include "tables/namespaces.hpp"

namespace berth::container {
namespace {

std::string quoted_id(const std::string &id) {
  return "container \"" + id + "\"";
}

// The container, checked to be one a process can join: its init alive (named
// by a pidfd, so that a reused pid is never joined) and, unless
// --ignore-paused, not frozen.
struct Target {
  std::optional<StateDir> dir; // locked (shared) until the process has joined
  StoredState state;
  UniqueFd init_pidfd;
  bool paused = false;
};

Result<Target> open_target(const GlobalOptions &global, const ExecOptions &options) {
  BERTH_TRY(validate_id(options.id));
  // Shared: a concurrent delete waits until the process has joined (or failed).
  BERTH_TRY_ASSIGN(StateDir dir, StateDir::open(global.root, options.id, LockMode::Shared));
  BERTH_TRY_ASSIGN(StoredState state, dir.read());
  Status status = current_status(state);
  switch (status) {
  // runc's words ("cannot exec in a stopped/paused container") follow
  // berth's: scripts around the engines match them (docs/engine-messages.md).
  case Status::Stopped:
    return fail(container_not_running(options.id).what() + ": cannot exec in a stopped container");
  case Status::Creating:
    return fail(quoted_id(options.id) + " is still being created");
  case Status::Paused:
    // A frozen cgroup would freeze the new process before it could report.
    if (!options.ignore_paused)
      return fail(quoted_id(options.id) +
                  " is paused, resume it first (or --ignore-paused): cannot exec in a paused "
                  "container");
    break;
  case Status::Created: // runc joins a created container too
  case Status::Running:
    break;
  }
  auto pidfd = open_pidfd(state.init);
  if (!pidfd)
    return fail(container_not_running(options.id));
  return Target{std::move(dir), std::move(state), std::move(*pidfd), status == Status::Paused};
}

// The process to run: config.process with the flags laid over, or --process,
// whose file takes from config.process what it leaves out of the user,
// capabilities, rlimits, noNewPrivileges and labels (never berth's own).
Result<spec::Process> exec_process(const spec::Config &config, const ExecOptions &options) {
  if (!config.process) // validate_config requires it
    return fail("config.json: /process: required");
  if (!options.process_file.empty()) {
    BERTH_TRY(check_no_overlay_flags(options));
    BERTH_TRY_ASSIGN(spec::Process process,
                     spec::load_exec_process(options.process_file, *config.process));
    // conmon passes --tty along with a process file that asks for a terminal.
    process.terminal = process.terminal || options.tty;
    return process;
  }
  BERTH_TRY_ASSIGN(spec::Process process, overlay_exec_flags(*config.process, options));
  return process;
}

// A profile this host cannot enforce must not be dropped silently (the
// feature gate's rule for create); the answer needs the host's /sys.
Result<void> check_lsm(const spec::Process &process) {
  if (process.apparmor_profile && !process.apparmor_profile->empty() && !lsm::apparmor_enabled())
    return fail("AppArmor profile " + *process.apparmor_profile +
                ": AppArmor is not enabled on this host");
  return {};
}

// runc's rules: a terminal's master goes to --console-socket, or to berth in
// the foreground; a console socket without a terminal has nothing to receive.
Result<void> check_terminal(const spec::Process &process, const ExecOptions &options) {
  if (process.terminal && options.detach && options.console_socket.empty())
    return fail("a terminal with --detach needs --console-socket to send the terminal to");
  if (!process.terminal && !options.console_socket.empty())
    return fail("--console-socket needs a terminal (--tty, or process.terminal)");
  return {};
}

struct NamespaceId {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const NamespaceId &) const = default;
};

std::optional<NamespaceId> namespace_id(const std::string &path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) < 0)
    return std::nullopt;
  return NamespaceId{st.st_dev, st.st_ino};
}

bool has_exited(int pidfd) {
  pollfd p{pidfd, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

// The clone flags of the init's namespaces that are not berth's own: those
// the container created or joined. Joining one's own namespace is refused
// (user) or needless, so only these are entered.
Result<int> namespaces_to_join(const Target &target) {
  std::string init = "/proc/" + std::to_string(target.state.init.pid) + "/ns/";
  int flags = 0;
  for (const auto &ns : tables::kNamespaces) {
    std::string name(ns.proc_name);
    auto own = namespace_id("/proc/self/ns/" + name);
    if (!own)
      continue; // a kernel without this kind of namespace
    auto theirs = namespace_id(init + name);
    if (!theirs)
      return fail_errno("stat " + init + name);
    if (*theirs != *own)
      flags |= ns.clone_flag;
  }
  // Read by pid: valid only if the init was still alive afterwards (its pid
  // cannot have been reused while it lived).
  if (has_exited(target.init_pidfd.get()))
    return fail(container_not_running(target.state.id));
  return flags;
}

// What berth passes to the child besides the process: the seccomp program
// and the connections the child cannot open itself from inside.
struct Prepared {
  spec::Process process;
  std::optional<seccomp::Program> seccomp;
  UniqueFd seccomp_listener;
  std::optional<std::string> listener_metadata; // linux.seccomp.listenerMetadata
  UniqueFd console;     // the child's end: --console-socket, or berth's own pair
  UniqueFd console_own; // berth's end of the pair for a foreground terminal
  std::optional<cgroup::Manager> placement;
  int join_flags = 0;
  UniqueFd init_root; // no mount namespace: the root the init chrooted into
  std::optional<spec::Personality> personality;    // the container's linux.personality
  std::optional<spec::MemoryPolicy> memory_policy; // and linux.memoryPolicy
};

Result<Prepared> prepare(const GlobalOptions &global, const ExecOptions &options,
                         const Target &target) {
  Prepared prepared;
  BERTH_TRY_ASSIGN(spec::Config config, spec::load_config(target.state.bundle));
  BERTH_TRY_ASSIGN(prepared.process, exec_process(config, options));
  BERTH_TRY(check_lsm(prepared.process));
  BERTH_TRY(check_terminal(prepared.process, options));
  if (config.linux) {
    prepared.personality = config.linux->personality;
    prepared.memory_policy = config.linux->memory_policy;
  }
  if (config.linux && config.linux->seccomp) {
    const auto &profile = *config.linux->seccomp;
    BERTH_TRY_ASSIGN(prepared.seccomp,
                     seccomp::compile_cached(profile, global.root,
                                             seccomp::enosys_for_newer(config.annotations)));
    if (prepared.seccomp->uses_notify()) {
      BERTH_TRY_ASSIGN(prepared.seccomp_listener,
                       seccomp::connect_listener(*profile.listener_path));
      prepared.listener_metadata = profile.listener_metadata;
    }
  }
  if (prepared.process.terminal) {
    if (!options.console_socket.empty()) {
      BERTH_TRY_ASSIGN(prepared.console, linux::connect_console_socket(options.console_socket));
    } else {
      int pair[2];
      if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
        return fail_errno("socketpair for the terminal");
      prepared.console_own.reset(pair[0]);
      prepared.console.reset(pair[1]);
    }
  }
  BERTH_TRY_ASSIGN(auto cgroups, container_cgroup(target.state));
  if (cgroups) {
    BERTH_TRY_ASSIGN(auto placement,
                     with_context(cgroups->for_exec(options.cgroup_paths), "--cgroup"));
    prepared.placement.emplace(std::move(placement));
  } else if (!options.cgroup_paths.empty()) {
    return fail("--cgroup: " + quoted_id(target.state.id) + " has no cgroup");
  }
  BERTH_TRY_ASSIGN(prepared.join_flags, namespaces_to_join(target));
  if (target.state.host_rootfs_mount != 0 && !(prepared.join_flags & CLONE_NEWNS)) {
    std::string root = "/proc/" + std::to_string(target.state.init.pid) + "/root";
    BERTH_TRY_ASSIGN(prepared.init_root, sys::open_path(root, O_PATH | O_DIRECTORY));
    if (has_exited(target.init_pidfd.get())) // the pid was the init's while it was opened
      return fail(container_not_running(target.state.id));
  }
  return prepared;
}

// The process state the seccomp listener agent receives with the fd
// (runtime.md), naming the exec'd process.
std::string notify_process_state(const Target &target, const Prepared &prepared, pid_t pid) {
  if (!prepared.seccomp_listener)
    return {};
  return seccomp::process_state_json(target.state.oci_version, pid, prepared.listener_metadata,
                                     public_state(target.state).to_json());
}

// Clones the process into the container's cgroup and namespaces (through a
// stager: process/exec_child.hpp) and follows it to its execve.
Result<process::SpawnedExec> spawn(const Target &target, const ExecOptions &options,
                                   Prepared &prepared) {
  int cgroup_fd = prepared.placement ? prepared.placement->clone_into_fd() : -1;
  process::ExecChildContext ctx{
      .process = prepared.process,
      .init_pidfd = target.init_pidfd.get(),
      .join_flags = prepared.join_flags,
      .init_root = prepared.init_root.get(),
      .placed_by_berth = prepared.placement && cgroup_fd < 0,
      .preserve_fds = options.preserve_fds,
      .seccomp = prepared.seccomp ? &*prepared.seccomp : nullptr,
      .seccomp_listener = prepared.seccomp_listener.get(),
      .console_socket = prepared.console.get(),
      .personality = prepared.personality ? &*prepared.personality : nullptr,
      .memory_policy = prepared.memory_policy ? &*prepared.memory_policy : nullptr,
  };
  process::ExecSpawn how;
  how.cgroup_fd = cgroup_fd;
  how.place = [&](pid_t stager) { return prepared.placement->add_process(stager); };
  how.seccomp_process_state = [&](pid_t pid) {
    return notify_process_state(target, prepared, pid);
  };
  how.console_socket = &prepared.console;
  how.seccomp_listener = &prepared.seccomp_listener;
  // execCPUAffinity.initial: berth runs there from now on, and the stager
  // and the process inherit it until they join the cgroup.
  BERTH_TRY(linux::apply_initial_cpu_affinity(prepared.process));
  return process::spawn_exec(ctx, how);
}

// Waits for the process, forwarding the signals berth receives to it and, with
// a terminal of berth's own, copying between it and berth's stdio.
Result<int> wait_in_foreground(process::SpawnedExec &spawned, const BlockedSignals &blocked,
                               TerminalProxy *proxy) {
  UniqueFd signals(::signalfd(-1, &blocked.set(), SFD_CLOEXEC));
  if (!signals)
    return fail_errno("signalfd");
  pid_t pid = spawned.child.pid();
  std::vector<pollfd> fds;
  for (;;) {
    int status = 0;
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      spawned.child.release();
      if (proxy)
        proxy->drain();
      return exit_code_of(status);
    }
    if (done < 0 && errno != EINTR)
      return fail_errno("wait for the process");
    fds.assign({{signals.get(), POLLIN, 0}, {spawned.pidfd.get(), POLLIN, 0}});
    if (proxy)
      proxy->add_poll_fds(fds);
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR)
      return fail_errno("poll");
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info{};
      if (::read(signals.get(), &info, sizeof info) == sizeof info) {
        int sig = static_cast<int>(info.ssi_signo);
        // With a terminal, a window size change is the terminal's to pass on.
        if (sig == SIGWINCH && proxy)
          proxy->resize();
        else
          (void)sys::pidfd_send_signal_raw(spawned.pidfd.get(), sig);
      }
    }
    if (proxy)
      proxy->handle(std::span(fds).subspan(2));
  }
}

Result<int> exec_in(const GlobalOptions &global, const ExecOptions &options) {
  const std::string phase_of = "exec " + options.id;
  log::Phase preparing(phase_of, "open the container and prepare the process");
  BERTH_TRY_ASSIGN(Target target, open_target(global, options));
  BERTH_TRY_ASSIGN(Prepared prepared, prepare(global, options, target));
  preparing.end();
  // Blocked from before the clone, so that a signal meant for the process is
  // not lost (nor kills berth) while it starts; the child unblocks them.
  std::optional<BlockedSignals> blocked;
  if (!options.detach)
    blocked.emplace();
  // In a frozen container the process freezes before it can report, and only
  // `resume`, which needs the lock exclusively, thaws it: let go first (the
  // child must not even inherit the locked fd). A delete meanwhile fails the
  // exec (the init's pidfd, the cgroup are gone) or kills the process with
  // the container's.
  if (target.paused)
    target.dir.reset();
  log::Phase spawning(phase_of, "spawn the process in the container");
  BERTH_TRY_ASSIGN(process::SpawnedExec spawned, spawn(target, options, prepared));
  spawning.end();
  std::optional<TerminalProxy> proxy;
  if (prepared.console_own) {
    BERTH_TRY_ASSIGN(UniqueFd master, linux::receive_console_master(prepared.console_own.get()));
    proxy.emplace(std::move(master));
    BERTH_TRY(proxy->start());
  }
  if (!options.pid_file.empty())
    BERTH_TRY(write_pid_file(options.pid_file, spawned.child.pid()));
  // Other commands (kill, delete) must reach the container meanwhile.
  target.dir.reset();
  if (options.detach) {
    // Its parent from now on is whoever reaps orphans: the engine's shim or
    // conmon as subreaper, or pid 1.
    spawned.child.release();
    return 0;
  }
  return wait_in_foreground(spawned, *blocked, proxy ? &*proxy : nullptr);
}

} // namespace

// --systemd-cgroup changes nothing here: the container's cgroup is in its state.
Result<int> exec(const GlobalOptions &global, const ExecOptions &options) {
  return with_context(exec_in(global, options), "exec " + options.id);
}

} // namespace berth::container
