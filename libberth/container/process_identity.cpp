#include "container/process_identity.hpp"

#include <fcntl.h>
#include <poll.h>

#include <charconv>
#include <string>

#include "sys/syscalls.hpp"

namespace berth::container {

std::optional<std::uint64_t> live_process_start_time(pid_t pid) {
  auto stat = sys::read_file("/proc/" + std::to_string(pid) + "/stat", 4096);
  if (!stat)
    return std::nullopt;
  // The command name (field 2) may contain spaces and parentheses: fields are
  // counted from the last ')'.
  auto close = stat->rfind(')');
  if (close == std::string::npos || close + 2 >= stat->size())
    return std::nullopt;
  std::string_view rest(*stat);
  rest.remove_prefix(close + 2); // field 3, the state
  if (rest.empty() || rest[0] == 'Z' || rest[0] == 'X')
    return std::nullopt;
  // Fields 3..21 precede the start time: skip 19 separators.
  for (int field = 3; field < 22; ++field) {
    auto space = rest.find(' ');
    if (space == std::string_view::npos)
      return std::nullopt;
    rest.remove_prefix(space + 1);
  }
  std::uint64_t start = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), start);
  if (ec != std::errc())
    return std::nullopt;
  return start;
}

bool is_alive(const ProcessIdentity &process) {
  if (process.pid <= 0)
    return false;
  auto start = live_process_start_time(process.pid);
  return start && *start == process.start_time;
}

std::optional<UniqueFd> open_pidfd(const ProcessIdentity &process) {
  if (process.pid <= 0)
    return std::nullopt;
  int fd = sys::pidfd_open_raw(process.pid);
  if (fd < 0)
    return std::nullopt;
  UniqueFd pidfd(fd);
  // Checked after opening: if the pid was reused before pidfd_open, the start
  // time differs; if it is reused after, the pidfd still names the original.
  if (!is_alive(process))
    return std::nullopt;
  return pidfd;
}

Result<void> wait_for_exit(int pidfd, int timeout_ms) {
  struct pollfd pfd {
    pidfd, POLLIN, 0
  };
  for (;;) {
    int n = ::poll(&pfd, 1, timeout_ms);
    if (n > 0)
      return {};
    if (n == 0)
      return fail("timed out waiting for the process to exit");
    if (errno != EINTR)
      return fail_errno("poll pidfd");
  }
}

} // namespace berth::container
