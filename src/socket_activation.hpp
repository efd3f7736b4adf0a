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

// NOTIFY_SOCKET of the caller (sd_notify): the container's READY=1 is
// forwarded there by start (container/notify_socket.hpp).
void pass_notify_socket(container::CreateOptions &options);

} // namespace berth::cli
