// The process' working directory, entered and checked to lie inside its root.
#include <limits.h>
#include <unistd.h>

#include "linux/process_setup.hpp"

namespace berth::linux {

Result<void> enter_cwd(const std::string &cwd) {
  if (::chdir(cwd.c_str()) < 0)
    return fail_errno("chdir to cwd " + cwd);
  // getcwd reports a directory the root cannot reach (a leaked host fd, a path
  // that climbed out) as "(unreachable)/...", or fails with ENOENT.
  char buffer[PATH_MAX];
  const char *now = ::getcwd(buffer, sizeof buffer);
  if (!now || now[0] != '/')
    return fail("cwd " + cwd + " is outside the container");
  return {};
}

} // namespace berth::linux
