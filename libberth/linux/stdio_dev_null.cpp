#include "linux/stdio_dev_null.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "sys/unique_fd.hpp"

namespace berth::linux {
namespace {

bool is_null_device(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3);
}

} // namespace

void reopen_dev_null_stdio() {
  UniqueFd own;
  for (int fd = 0; fd <= 2; ++fd) {
    if (!is_null_device(fd))
      continue;
    if (!own) {
      own.reset(::open("/dev/null", O_RDWR | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC));
      if (!own || !is_null_device(own.get()))
        return;
    }
    (void)::dup3(own.get(), fd, 0);
  }
}

} // namespace berth::linux
