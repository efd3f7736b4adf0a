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
  BERTH_TRY_ASSIGN(UniqueFd dir_fd, sys::open_path(dir, O_RDONLY | O_DIRECTORY));
  return with_context(sys::write_file_atomic(dir_fd.get(), name, std::to_string(pid), 0644),
                      "pid file " + path);
}

} // namespace berth::container
