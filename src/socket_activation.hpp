// What a service manager hands berth in its environment and runc passes on:
// socket activation (sd_listen_fds(3)): when berth itself was started with
// LISTEN_FDS for its own pid, those fds go on to the container; and
// NOTIFY_SOCKET (sd_notify(3)).
#pragma once

#include "container/container.hpp"

namespace berth::cli {

// Adds the inherited listening sockets to `options` (listen_fds, and the same
// number to preserve_fds, since they come first after stdio).
void pass_socket_activation(container::CreateOptions &options);

// How many sockets LISTEN_FDS hands berth itself (0 when LISTEN_PID is not ours).
unsigned socket_activation_fd_count();

// The fds 3..3+count-1 that go to the container (--preserve-fds, LISTEN_FDS)
// must be the caller's: one that is not open would be taken by the first fd
// berth opens (its --log file, the state directory, ...) and reach the
// container. main checks this before berth opens anything.
Result<void> check_preserved_fds_open(unsigned count);

// NOTIFY_SOCKET of the caller (sd_notify): the container's READY=1 is
// forwarded there by start (container/notify_socket.hpp).
void pass_notify_socket(container::CreateOptions &options);

} // namespace berth::cli
