#include "container/pid_file.hpp"

#include <fcntl.h>

#include "sys/syscalls.hpp"
#include "sys/unique_fd.hpp"

namespace berth::container {

Result<void> write_pid_file(const std::string &path, pid_t pid) {
  std::string dir = ".", name = path;
  if (auto slash = path.rfind('/'); slash != std::string::npos) {
    dir = slash == 0 ? "/" : path.substr(0, slash);
    name = path.substr(slash + 1);
  }
  // Named as the option, whichever step fails: the path is the caller's.
  auto dir_fd = sys::open_path(dir, O_RDONLY | O_DIRECTORY);
  if (!dir_fd) {
    dir_fd.error().context("--pid-file " + path);
    return fail(std::move(dir_fd.error()));
  }
  return with_context(sys::write_file_atomic(dir_fd->get(), name, std::to_string(pid), 0644),
                      "--pid-file " + path);
}

} // namespace berth::container
