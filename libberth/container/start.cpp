#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "container/hook_state.hpp"
#include "container/lifecycle.hpp"
#include "container/notify_socket.hpp"
#include "process/hooks.hpp"
#include "sys/phase_log.hpp"
#include "sys/syscalls.hpp"

namespace berth::container {

namespace {

// Asks the init to exec and returns what it answered on the connection: its
// end is close-on-exec, so end-of-file means the exec happened and anything
// else is the reason it did not.
Result<std::string> let_init_exec(const StateDir &dir, const StoredState &state,
                                  const process::SyncChannel *channel) {
  auto not_waiting = [&] {
    return fail_errno("start container \"" + state.id + "\": its init is not waiting");
  };
  if (channel) {
    if (!channel->send(process::SyncMessage::Start))
      return not_waiting();
    return sys::read_fd(channel->fd(), 4096);
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return fail_errno("create socket");
  UniqueFd connection(fd);
  auto addr = dir.start_socket_address();
  if (::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) < 0)
    return not_waiting();
  BERTH_TRY_ASSIGN(std::string exec_error, sys::read_fd(fd, 4096));
  ::unlinkat(dir.fd(), kStartSocket, 0);
  return exec_error;
}

} // namespace

Result<void> release_init(const StateDir &dir, StoredState &state,
                          const process::SyncChannel *channel) {
  UniqueFd notify;
  if (!state.notify_socket.empty()) {
    BERTH_TRY_ASSIGN(notify, bind_notify_socket(dir));
  }
  BERTH_TRY_ASSIGN(std::string exec_error, let_init_exec(dir, state, channel));
  state.creating = false;
  state.started = true;
  BERTH_TRY(dir.write(state));
  if (!exec_error.empty())
    return fail("start container \"" + state.id + "\": " + exec_error);
  if (notify)
    BERTH_TRY_CTX(forward_ready(notify.get(), state.notify_socket, state.init.pid),
                  "start container \"" + state.id + "\"");
  return {};
}

void run_poststart_hooks(const StoredState &state) {
  // A failure is a warning, as runtime-spec 1.0.2 wrote it ("the remaining
  // hooks and lifecycle continue as if the hook had succeeded") and crun
  // does; later spec text makes it an error that stops the container, as
  // runc does.
  process::run_hooks_warning_on_failure(process::HookKind::Poststart, state.hooks.poststart,
                                        hook_state_json(state, Status::Running));
}

Result<void> start(const GlobalOptions &global, const std::string &id) {
  BERTH_TRY(validate_id(id));
  BERTH_TRY_ASSIGN(StateDir dir, StateDir::open(global.root, id, LockMode::Exclusive));
  BERTH_TRY_ASSIGN(StoredState state, dir.read());
  Status status = current_status(state);
  if (status != Status::Created)
    return fail("cannot start container \"" + id + "\": it is " + std::string(status_name(status)) +
                ", not created");
  {
    log::Phase releasing("start " + id, "let the init exec the process");
    BERTH_TRY(release_init(dir, state));
  }
  { auto unlock = std::move(dir); }
  log::Phase poststart("start " + id, "poststart hooks");
  run_poststart_hooks(state);
  return {};
}

} // namespace berth::container
