// Passing an fd over a unix socket (SCM_RIGHTS), as the console socket and the
// seccomp listenerPath protocols do it: the fd travels with the first byte of a
// payload, since a stream socket carries ancillary data only along with data.
#pragma once

#include <string_view>

#include "sys/error.hpp"

namespace berth::sys {

// Sends `fd` and the whole of `payload` (not empty). A receiver that went away
// is an error (EPIPE), never SIGPIPE. Allocates nothing unless it fails.
Result<void> send_fd(int socket_fd, int fd, std::string_view payload);

} // namespace berth::sys
