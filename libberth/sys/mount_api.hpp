// The new mount API (open_tree, move_mount, fsopen/fsconfig/fsmount,
// mount_setattr) as Result-returning calls on fds. Mounts are built detached,
// given their attributes, and only then attached to a destination fd that was
// resolved inside the rootfs: there is no window in which a mount is visible with
// the wrong flags, and no path string is ever resolved twice.
#pragma once

#include <linux/mount.h>
#include <sys/mount.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace berth::sys {

// A detached copy of the mount at `path` (relative to dirfd; "" means dirfd
// itself), with its submounts when `recursive`: open_tree(OPEN_TREE_CLONE).
Result<UniqueFd> clone_mount(int dirfd, const std::string &path, bool recursive);

// The attribute change of one mount_setattr(2) call.
struct MountAttrChange {
  std::uint64_t set = 0;         // MOUNT_ATTR_* to set
  std::uint64_t clear = 0;       // MOUNT_ATTR_* to clear (MOUNT_ATTR__ATIME for atime changes)
  std::uint64_t propagation = 0; // MS_SHARED, MS_SLAVE, MS_PRIVATE or MS_UNBINDABLE; 0 keeps it
  int userns_fd = -1;            // with MOUNT_ATTR_IDMAP
  bool empty() const { return set == 0 && clear == 0 && propagation == 0; }
};

// mount_setattr(2) on the mount whose root `mount_fd` refers to; on the whole
// tree below it too when `recursive`.
Result<void> set_mount_attr(int mount_fd, const MountAttrChange &change, bool recursive);

// Attaches the detached (or moves the attached) mount `mount_fd` onto the
// directory or file `target_fd` refers to: move_mount(2) with both paths empty.
Result<void> attach_mount(int mount_fd, int target_fd);

// A filesystem being configured: fsopen, fsconfig, then fsmount. Errors carry the
// message the kernel logged on the context ("tmpfs: Bad value for 'size'").
class FsContext {
public:
  static Result<FsContext> open(const std::string &fstype);

  Result<void> set_flag(const std::string &key);
  Result<void> set_string(const std::string &key, const std::string &value);
  // FSCONFIG_CMD_CREATE then fsmount(2) with MOUNT_ATTR_* `attr_flags`: returns a
  // detached mount.
  Result<UniqueFd> create_mount(unsigned attr_flags);

private:
  explicit FsContext(UniqueFd fd, std::string fstype)
      : fd_(std::move(fd)), fstype_(std::move(fstype)) {}
  // The current errno with what the kernel logged for this context.
  Error error(std::string_view what) const;

  UniqueFd fd_;
  std::string fstype_;
};

} // namespace berth::sys
