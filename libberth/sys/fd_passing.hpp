// Passing an fd over a unix socket (SCM_RIGHTS), as the console socket and the
// seccomp listenerPath protocols do it: the fd travels with the first byte of a
// payload, since a stream socket carries ancillary data only along with data.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace berth::sys {

// Sends `fd` and the whole of `payload` (not empty). A receiver that went away
// is an error (EPIPE), never SIGPIPE. Allocates nothing unless it fails.
Result<void> send_fd(int socket_fd, int fd, std::string_view payload);

struct MessageWithFd {
  std::string payload;
  UniqueFd fd; // empty when the message came without one
};

// Receives one message of at most `max_payload` bytes and the fd that came with
// it, if any (close-on-exec). More than one fd is an error (the extra ones are
// closed); so is end-of-file.
Result<MessageWithFd> receive_with_fd(int socket_fd, std::size_t max_payload);

} // namespace berth::sys
