#include <signal.h>
#include <unistd.h>

#include "cgroup/manager_impl.hpp"
#include "container/lifecycle.hpp"
#include "container/process_scan.hpp"
#include "sys/syscalls.hpp"

namespace berth::container {

Error container_not_running(const std::string &id) {
  return Error("container \"" + id + "\": container not running");
}
// --all reaches every process in the container's cgroup, also after its init
// has exited: in a pod sharing a pid namespace, what the init started lives
// on, and the engine stopping the pod relies on this (runc does the same).
Result<void> signal_all_processes(const StoredState &state, int signal) {
  BERTH_TRY_ASSIGN(auto cgroups, container_cgroup(state));
  if (cgroups)
    return cgroups->signal_all(signal);
  // Without a cgroup (rootless): what /proc shows of the container (nothing
  // once the init is gone), each still listed once it has a pidfd (a reused
  // pid is not signalled).
  BERTH_TRY_ASSIGN(auto pids, processes_without_cgroup(state));
  return cgroup::signal_listed(std::vector<pid_t>(pids.begin(), pids.end()), signal,
                               [&]() -> Result<std::vector<pid_t>> {
                                 BERTH_TRY_ASSIGN(auto now, processes_without_cgroup(state));
                                 return std::vector<pid_t>(now.begin(), now.end());
                               });
}

Result<void> signal_container(const StoredState &state, int signal, bool all) {
  if (all)
    return signal_all_processes(state, signal);
  auto pidfd = open_pidfd(state.init);
  if (!pidfd)
    return fail(container_not_running(state.id));
  if (sys::pidfd_send_signal_raw(pidfd->get(), signal) < 0)
    return fail_errno("signal container \"" + state.id + "\"");
  return {};
}

Result<void> kill_and_wait(const StoredState &state) {
  auto pidfd = open_pidfd(state.init);
  if (!pidfd)
    return {};
  // The cgroup reaches every process, also in a container sharing the host's
  // pid namespace (where killing the init would leave its children running).
  BERTH_TRY_ASSIGN(auto cgroups, container_cgroup(state));
  // Without one, /proc's view, taken while the init still holds its tree.
  if (!cgroups)
    (void)signal_container(state, SIGKILL, true);
  (void)sys::pidfd_send_signal_raw(pidfd->get(), SIGKILL);
  if (cgroups) {
    (void)cgroups->signal_all(SIGKILL);
    // A frozen task (v1 freezer) only dies once thawed: the kill is pending
    // first, so nothing runs in between. Frozen by an ancestor's freezer, it
    // is moved out of it rather than waited for.
    (void)cgroups->release_for_kill();
  }
  return with_context(wait_for_exit(pidfd->get(), 10000),
                      "wait for container \"" + state.id + "\" to exit");
}

Result<void> kill(const GlobalOptions &global, const std::string &id, int signal, bool all) {
  BERTH_TRY(validate_id(id));
  BERTH_TRY_ASSIGN(StateDir dir, StateDir::open(global.root, id, LockMode::Shared));
  BERTH_TRY_ASSIGN(StoredState stored, dir.read());
  Status status = current_status(stored);
  if (status == Status::Stopped && !all)
    return fail(container_not_running(id));
  return signal_container(stored, signal, all);
}

} // namespace berth::container
