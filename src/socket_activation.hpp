// systemd socket activation (sd_listen_fds(3)): when berth itself was started
// with LISTEN_FDS for its own pid, those fds go on to the container, as runc
// passes them.
#pragma once

#include "container/container.hpp"

namespace berth::cli {

// Adds the inherited listening sockets to `options` (listen_fds, and the same
// number to preserve_fds, since they come first after stdio).
void pass_socket_activation(container::CreateOptions &options);

} // namespace berth::cli
