// Pieces shared by the lifecycle operations (create.cpp, start.cpp, run.cpp, ...).
#pragma once

#include <string>

#include <optional>

#include "cgroup/manager.hpp"
#include "container/container.hpp"
#include "container/state_dir.hpp"
#include "process/spawn.hpp"
#include "process/sync_channel.hpp"

namespace berth::container {

// A container that create has set up: its init blocked before exec, its state
// recorded. The init is berth's child here; create lets it go, run waits on it.
struct CreatedContainer {
  StateDir dir;
  process::ChildProcess init;
  StoredState state;
  // For a foreground run with process.terminal and no --console-socket: the
  // connection the init sent the terminal's master over, for the caller to
  // receive (linux::receive_console_master) and drive.
  UniqueFd console;
  // For run: berth's end of the setup channel, over which release_init lets
  // the init go (create's init waits on the start socket instead).
  std::optional<process::SyncChannel> release_channel;
};

// Who creates the container, which decides who lets its init go.
enum class CreateMode {
  // `create`: a later `start`, another process, through the start socket in
  // the state directory.
  Create,
  // `run -d` and `run`: the same berth, over the setup channel; no socket file
  // is made, and the state is written once more only when the init started.
  // Only a foreground run can drive a terminal itself; a detached one, like
  // create, needs --console-socket for one (check_terminal).
  RunDetached,
  RunForeground,
};

Result<CreatedContainer> create_container(const GlobalOptions &global, const CreateOptions &options,
                                          CreateMode mode = CreateMode::Create);

// Destroys the container's cgroup unless create (or restore) got to the end.
class CgroupCleanup {
public:
  explicit CgroupCleanup(cgroup::Manager &cgroups) : cgroups_(&cgroups) {}
  CgroupCleanup(const CgroupCleanup &) = delete;
  CgroupCleanup &operator=(const CgroupCleanup &) = delete;
  ~CgroupCleanup() {
    if (cgroups_)
      (void)cgroups_->destroy();
  }
  void release() { cgroups_ = nullptr; }

private:
  cgroup::Manager *cgroups_;
};

// create's steps that restore repeats: the realpath of a bundle or file, the
// rootfs of a config (absolute, a directory), and the resources its cgroup
// gets (linux.resources; linux.devices adds only the right to make its nodes).
Result<std::string> real_path(const std::string &path, std::string_view what);
Result<std::string> resolve_rootfs(const std::string &bundle, const spec::Root &root);
spec::Resources effective_resources(const spec::Linux &linux);

// Waits for the container's init, berth's child, forwarding the signals berth
// gets to it (and driving `terminal` when given); returns its exit code.
class TerminalProxy;
Result<int> wait_forwarding_signals(const StoredState &state, process::ChildProcess &init,
                                    TerminalProxy *terminal);

// The status of a recorded container, from its state and whether its init lives.
Status current_status(const StoredState &state);

// Lets the init exec the user's program and records that it did (start's
// work): through the start socket, or over `channel` for run's own init.
Result<void> release_init(const StateDir &dir, StoredState &state,
                          const process::SyncChannel *channel = nullptr);

// The poststart hooks (config.md: after the program started, before start
// returns), run once the state directory's lock is let go so that a hook may
// ask berth about the container; a failure is a warning.
void run_poststart_hooks(const StoredState &state);

// Sends a signal to the init, or with `all` to every process of the container.
Result<void> signal_container(const StoredState &state, int signal, bool all);

// SIGKILLs every process of the container and waits for the init to be gone.
Result<void> kill_and_wait(const StoredState &state);

// The public State of a recorded container.
State public_state(const StoredState &stored);

// The container's cgroup, reopened from its state; nullopt when it has none.
Result<std::optional<cgroup::Manager>> container_cgroup(const StoredState &state);

} // namespace berth::container
