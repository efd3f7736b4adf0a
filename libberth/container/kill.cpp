#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <memory>

#include "container/lifecycle.hpp"
#include "sys/syscalls.hpp"

namespace berth::container {
namespace {

std::string pid_namespace_of(pid_t pid) {
  char target[64] = {};
  std::string link = "/proc/" + std::to_string(pid) + "/ns/pid";
  ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
  return n > 0 ? std::string(target, static_cast<std::size_t>(n)) : std::string();
}

// Every process in the container's own pid namespace. Without cgroups (a later
// release) this is how berth finds them; a container sharing the host's pid
// namespace is reached through its init only.
Result<void> signal_pid_namespace(const StoredState &state, int signal) {
  std::string ns = pid_namespace_of(state.init.pid);
  if (ns.empty())
    return fail("container \"" + state.id + "\" is not running");
  std::unique_ptr<DIR, int (*)(DIR *)> proc(::opendir("/proc"), ::closedir);
  if (!proc)
    return fail_errno("read /proc");
  while (auto *entry = ::readdir(proc.get())) {
    char *end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (*end != '\0' || pid <= 0)
      continue;
    if (pid_namespace_of(static_cast<pid_t>(pid)) == ns)
      ::kill(static_cast<pid_t>(pid), signal);
  }
  return {};
}

} // namespace

Result<void> signal_container(const StoredState &state, int signal, bool all) {
  auto pidfd = open_pidfd(state.init);
  if (!pidfd)
    return fail("container \"" + state.id + "\" is not running");
  if (all && state.own_pid_namespace)
    return signal_pid_namespace(state, signal);
  if (sys::pidfd_send_signal_raw(pidfd->get(), signal) < 0)
    return fail_errno("signal container \"" + state.id + "\"");
  return {};
}

Result<void> kill_and_wait(const StoredState &state) {
  auto pidfd = open_pidfd(state.init);
  if (!pidfd)
    return {};
  // SIGKILL to a pid namespace's init takes every process in it along; a
  // container in the host's pid namespace loses only its init until cgroups land.
  (void)sys::pidfd_send_signal_raw(pidfd->get(), SIGKILL);
  return with_context(wait_for_exit(pidfd->get(), 10000),
                      "wait for container \"" + state.id + "\" to exit");
}

Result<void> kill(const GlobalOptions &global, const std::string &id, int signal, bool all) {
  BERTH_TRY(validate_id(id));
  BERTH_TRY_ASSIGN(StateDir dir, StateDir::open(global.root, id, LockMode::Shared));
  BERTH_TRY_ASSIGN(StoredState stored, dir.read());
  Status status = current_status(stored);
  if (status == Status::Stopped)
    return fail("container \"" + id + "\" is not running");
  return signal_container(stored, signal, all);
}

} // namespace berth::container
