#include "sys/mount_api.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace berth::sys {

Result<UniqueFd> clone_mount(int dirfd, const std::string &path, bool recursive) {
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;
  if (recursive)
    flags |= AT_RECURSIVE;
  if (path.empty())
    flags |= AT_EMPTY_PATH;
  int fd = ::open_tree(dirfd, path.c_str(), flags);
  if (fd < 0)
    return fail_errno(path.empty() ? std::string("clone mount") : "clone mount " + path);
  return UniqueFd(fd);
}

Result<void> set_mount_attr(int mount_fd, const MountAttrChange &change, bool recursive) {
  struct mount_attr attr {};
  attr.attr_set = change.set;
  attr.attr_clr = change.clear;
  attr.propagation = change.propagation;
  if (change.userns_fd >= 0)
    attr.userns_fd = static_cast<std::uint64_t>(change.userns_fd);
  unsigned flags = AT_EMPTY_PATH;
  if (recursive)
    flags |= AT_RECURSIVE;
  if (::mount_setattr(mount_fd, "", flags, &attr, sizeof attr) < 0)
    return fail_errno("mount_setattr");
  return {};
}

Result<void> attach_mount(int mount_fd, int target_fd) {
  if (::move_mount(mount_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) <
      0)
    return fail_errno("move_mount");
  return {};
}

Result<FsContext> FsContext::open(const std::string &fstype) {
  int fd = ::fsopen(fstype.c_str(), FSOPEN_CLOEXEC);
  if (fd < 0)
    return fail_errno("fsopen " + fstype);
  return FsContext(UniqueFd(fd), fstype);
}

Error FsContext::error(std::string_view what) const {
  int saved = errno;
  // The kernel queues "e <message>" lines on the context; the last one is the
  // reason of the failure that just happened.
  std::string reason;
  char buf[512];
  for (int i = 0; i < 16; ++i) {
    ssize_t n = ::read(fd_.get(), buf, sizeof buf - 1);
    if (n <= 0)
      break;
    std::string_view line(buf, static_cast<std::size_t>(n));
    if (line.size() > 2 && line[1] == ' ')
      line.remove_prefix(2);
    while (!line.empty() && line.back() == '\n')
      line.remove_suffix(1);
    reason.assign(line);
  }
  std::string message(what);
  if (!reason.empty())
    message += " (" + reason + ")";
  return Error(std::move(message), saved);
}

Result<void> FsContext::set_flag(const std::string &key) {
  if (::fsconfig(fd_.get(), FSCONFIG_SET_FLAG, key.c_str(), nullptr, 0) < 0)
    return std::unexpected(error(fstype_ + " option " + key));
  return {};
}

Result<void> FsContext::set_string(const std::string &key, const std::string &value) {
  if (::fsconfig(fd_.get(), FSCONFIG_SET_STRING, key.c_str(), value.c_str(), 0) < 0)
    return std::unexpected(error(fstype_ + " option " + key + "=" + value));
  return {};
}

Result<UniqueFd> FsContext::create_mount(unsigned attr_flags) {
  if (::fsconfig(fd_.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0)
    return std::unexpected(error("create " + fstype_));
  int fd = ::fsmount(fd_.get(), FSMOUNT_CLOEXEC, attr_flags);
  if (fd < 0)
    return std::unexpected(error("fsmount " + fstype_));
  return UniqueFd(fd);
}

} // namespace berth::sys
