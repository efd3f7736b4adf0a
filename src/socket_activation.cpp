#include "socket_activation.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <string>
#include <string_view>

namespace berth::cli {
namespace {

bool parse_number(const char *text, long &out) {
  if (!text)
    return false;
  std::string_view s(text);
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

} // namespace

unsigned socket_activation_fd_count() {
  long pid = 0, count = 0;
  // LISTEN_PID names the process the sockets are for: an environment inherited
  // by some other process of the chain does not count.
  if (!parse_number(std::getenv("LISTEN_PID"), pid) || pid != ::getpid())
    return 0;
  if (!parse_number(std::getenv("LISTEN_FDS"), count) || count <= 0 || count > 1024)
    return 0;
  return static_cast<unsigned>(count);
}

void pass_socket_activation(container::CreateOptions &options) {
  unsigned count = socket_activation_fd_count();
  options.listen_fds = count;
  options.preserve_fds += count;
}

Result<void> check_preserved_fds_open(unsigned count) {
  for (unsigned fd = 3; fd < 3 + count; ++fd)
    if (::fcntl(static_cast<int>(fd), F_GETFD) < 0)
      return fail("--preserve-fds/LISTEN_FDS: fd " + std::to_string(fd) +
                  " is not open (the container would get one of berth's own instead)");
  return {};
}

void pass_notify_socket(container::CreateOptions &options) {
  if (const char *socket = std::getenv("NOTIFY_SOCKET"); socket && *socket)
    options.notify_socket = socket;
}

} // namespace berth::cli
