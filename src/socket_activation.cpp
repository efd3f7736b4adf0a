#include "socket_activation.hpp"

#include <unistd.h>

#include <charconv>
#include <cstdlib>
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

void pass_socket_activation(container::CreateOptions &options) {
  long pid = 0, count = 0;
  // LISTEN_PID names the process the sockets are for: an environment inherited
  // by some other process of the chain does not count.
  if (!parse_number(std::getenv("LISTEN_PID"), pid) || pid != ::getpid())
    return;
  if (!parse_number(std::getenv("LISTEN_FDS"), count) || count <= 0 || count > 1024)
    return;
  options.listen_fds = static_cast<unsigned>(count);
  options.preserve_fds += static_cast<unsigned>(count);
}

void pass_notify_socket(container::CreateOptions &options) {
  if (const char *socket = std::getenv("NOTIFY_SOCKET"); socket && *socket)
    options.notify_socket = socket;
}

} // namespace berth::cli
