#include "linux/pivot.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sys/syscalls.hpp"
#include "sys/unique_fd.hpp"

namespace berth::linux {

Result<void> pivot_into(int root_fd) {
  BERTH_TRY_ASSIGN(UniqueFd old_root, sys::open_path("/", O_PATH | O_DIRECTORY));
  if (::fchdir(root_fd) < 0)
    return fail_errno("chdir to the rootfs");
  if (::syscall(SYS_pivot_root, ".", ".") < 0)
    return fail_errno("pivot_root");
  // The old root is now mounted over the new one; from its own root "." is it.
  if (::fchdir(old_root.get()) < 0)
    return fail_errno("chdir to the old root");
  if (::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) < 0)
    return fail_errno("make the old root rslave");
  if (::umount2(".", MNT_DETACH) < 0)
    return fail_errno("detach the old root");
  if (::chdir("/") < 0)
    return fail_errno("chdir /");
  return {};
}

Result<void> move_into(int root_fd) {
  if (::fchdir(root_fd) < 0)
    return fail_errno("chdir to the rootfs");
  if (::mount(".", "/", nullptr, MS_MOVE, nullptr) < 0)
    return fail_errno("move the rootfs onto /");
  if (::chroot(".") < 0)
    return fail_errno("chroot");
  if (::chdir("/") < 0)
    return fail_errno("chdir /");
  return {};
}

} // namespace berth::linux
