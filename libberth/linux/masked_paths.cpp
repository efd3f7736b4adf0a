#include "linux/masked_paths.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "linux/mount_options.hpp"
#include "linux/mounts.hpp"
#include "sys/mount_api.hpp"
#include "sys/path_resolve.hpp"

namespace berth::linux {
namespace {

// The path's fd, or an empty fd when nothing is there.
Result<UniqueFd> open_if_exists(int root_fd, const std::string &path) {
  auto opened = sys::open_in_root(root_fd, path, O_PATH);
  if (!opened && opened.error().errno_value() == ENOENT)
    return UniqueFd();
  return opened;
}

// /dev/null of the container, refused unless it is the character device 1:3: a
// rootfs could have put a file there whose content would show through a mask.
Result<UniqueFd> open_verified_null(int root_fd) {
  sys::InRootOptions options;
  options.no_symlinks = true;
  BERTH_TRY_ASSIGN(UniqueFd null, sys::open_in_root(root_fd, "/dev/null", O_PATH, 0, options));
  struct stat st {};
  if (::fstat(null.get(), &st) < 0)
    return fail_errno("stat /dev/null");
  if (!S_ISCHR(st.st_mode) || st.st_rdev != ::makedev(1, 3))
    return fail("/dev/null is not the null device", ENODEV);
  return null;
}

Result<void> mask_directory(int target_fd) {
  MountPlan plan;
  plan.flags = MS_RDONLY;
  // Read-only superblock and mount, as runc's: nothing can be written under a mask.
  BERTH_TRY_ASSIGN(UniqueFd tmpfs, create_filesystem("tmpfs", "tmpfs", plan, true));
  return sys::attach_mount(tmpfs.get(), target_fd);
}

Result<void> mask_file(int null_fd, int target_fd) {
  BERTH_TRY_ASSIGN(UniqueFd null_bind, sys::clone_mount(null_fd, "", false));
  return sys::attach_mount(null_bind.get(), target_fd);
}

} // namespace

Result<void> mask_paths(int root_fd, const std::vector<std::string> &paths) {
  if (paths.empty())
    return {};
  BERTH_TRY_ASSIGN(UniqueFd null, with_context(open_verified_null(root_fd), "mask paths"));
  for (const auto &path : paths) {
    BERTH_TRY_ASSIGN(UniqueFd target, with_context(open_if_exists(root_fd, path), "mask " + path));
    if (!target)
      continue;
    struct stat st {};
    if (::fstat(target.get(), &st) < 0)
      return fail_errno("mask " + path + ": stat");
    if (S_ISDIR(st.st_mode)) {
      BERTH_TRY_CTX(mask_directory(target.get()), "mask " + path);
    } else {
      BERTH_TRY_CTX(mask_file(null.get(), target.get()), "mask " + path);
    }
  }
  return {};
}

Result<void> make_paths_readonly(int root_fd, const std::vector<std::string> &paths) {
  for (const auto &path : paths) {
    const std::string ctx = "make " + path + " read-only";
    BERTH_TRY_ASSIGN(UniqueFd target, with_context(open_if_exists(root_fd, path), ctx));
    if (!target)
      continue;
    // mount_setattr only adds the read-only bit: the flags the mount already
    // has are left as they are, locked or not.
    BERTH_TRY_ASSIGN(UniqueFd bind, with_context(sys::clone_mount(target.get(), "", true), ctx));
    sys::MountAttrChange read_only;
    read_only.set = MOUNT_ATTR_RDONLY;
    BERTH_TRY_CTX(sys::set_mount_attr(bind.get(), read_only, true), ctx);
    BERTH_TRY_CTX(sys::attach_mount(bind.get(), target.get()), ctx);
  }
  return {};
}

Result<void> make_root_readonly(int root_fd) {
  sys::MountAttrChange read_only;
  read_only.set = MOUNT_ATTR_RDONLY;
  return with_context(sys::set_mount_attr(root_fd, read_only, false), "make / read-only");
}

} // namespace berth::linux
