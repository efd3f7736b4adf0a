#include "linux/devices.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <functional>
#include <string>

#include "sys/log.hpp"
#include "sys/mount_api.hpp"
#include "sys/path_resolve.hpp"
#include "sys/syscalls.hpp"

namespace berth::linux {
namespace {

using HostNodeMaker = std::function<Result<UniqueFd>()>;

// Restores the umask on scope exit; the mode of a node must be the config's.
class UmaskGuard {
public:
  explicit UmaskGuard(mode_t mask) : old_(::umask(mask)) {}
  UmaskGuard(const UmaskGuard &) = delete;
  UmaskGuard &operator=(const UmaskGuard &) = delete;
  ~UmaskGuard() { ::umask(old_); }

private:
  mode_t old_;
};

// In a user namespace mknod is refused: the host's node is bound onto an empty
// file instead, which gives the same device with the host's owner and mode. A
// device needs neither set-uid nor exec, and the bind gets nosuid,noexec (crun
// binds them so; runc 1.1 does not). Where the host has no such node at that
// path (or another device there), `host_node` has berth make one on the host's
// side, with the config's mode and owner; without it (the default devices,
// which every host has) that is an error.
Result<void> bind_host_device(const DeviceStep &step, int parent_fd, const std::string &name,
                              const HostNodeMaker &host_node) {
  int created =
      ::openat(parent_fd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0);
  if (created < 0)
    return fail_errno("create the mount point");
  ::close(created);
  auto host = sys::open_path(step.path, O_PATH);
  struct stat st {};
  if (host && ::fstat(host->get(), &st) < 0)
    return fail_errno("stat the host's " + step.path);
  const bool same_device =
      host && (st.st_mode & S_IFMT) == (step.mode & S_IFMT) && st.st_rdev == step.rdev;
  UniqueFd tree;
  if (same_device) {
    BERTH_TRY_ASSIGN(tree, sys::clone_mount(host->get(), "", false));
    sys::MountAttrChange no_suid_no_exec;
    no_suid_no_exec.set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC;
    BERTH_TRY_CTX(sys::set_mount_attr(tree.get(), no_suid_no_exec, false),
                  "make the host's device nosuid,noexec");
  } else if (host_node) {
    BERTH_TRY_ASSIGN(tree, with_context(host_node(), "make the node on the host's side"));
  } else if (!host) {
    return fail(std::move(host).error());
  } else {
    return fail("the host's " + step.path + " is not this device", ENODEV);
  }
  BERTH_TRY_ASSIGN(UniqueFd target, sys::open_at(parent_fd, name, O_PATH | O_NOFOLLOW));
  return with_context(sys::attach_mount(tree.get(), target.get()), "bind the device");
}

Result<void> replace_with_symlink(int dir_fd, const char *name, const char *target) {
  if (::unlinkat(dir_fd, name, 0) < 0 && errno != ENOENT) {
    if (errno == EBUSY)
      return {}; // a mount from config.mounts is there, and wins
    return fail_errno(std::string("remove /dev/") + name);
  }
  if (::symlinkat(target, dir_fd, name) < 0)
    return fail_errno(std::string("symlink /dev/") + name);
  return {};
}

bool devpts_mounted(int root_fd) {
  auto pts = sys::open_in_root(root_fd, "/dev/pts", O_PATH | O_DIRECTORY);
  struct statfs st {};
  return pts && ::fstatfs(pts->get(), &st) == 0 && st.f_type == DEVPTS_SUPER_MAGIC;
}

} // namespace

Result<mode_t> device_node_type(const spec::Device &device) {
  if (device.type == "c" || device.type == "u")
    return S_IFCHR;
  if (device.type == "b")
    return S_IFBLK;
  if (device.type == "p")
    return S_IFIFO;
  return fail("unknown device type \"" + device.type + "\"", EINVAL);
}

Result<void> create_device(int root_fd, const DeviceStep &step, const HostNodeMaker &host_node) {
  BERTH_TRY_ASSIGN(auto entry, sys::open_parent_in_root(root_fd, step.path));
  const char *name = entry.name.c_str();
  if (::unlinkat(entry.parent.get(), name, 0) < 0 && errno != ENOENT) {
    if (errno == EBUSY) {
      // Something from config.mounts is mounted there already: it wins.
      log::debug("device " + step.path + " is a mount point; left as it is");
      return {};
    }
    return fail_errno("remove what is at the device's path");
  }
  int made;
  {
    UmaskGuard no_umask(0);
    made = ::mknodat(entry.parent.get(), name, step.mode, step.rdev);
  }
  if (made < 0 && errno == EPERM)
    return bind_host_device(step, entry.parent.get(), entry.name, host_node);
  if (made < 0)
    return fail_errno("mknod");
  if (step.uid || step.gid) {
    if (::fchownat(entry.parent.get(), name, step.uid.value_or(static_cast<uid_t>(-1)),
                   step.gid.value_or(static_cast<gid_t>(-1)), AT_SYMLINK_NOFOLLOW) < 0)
      return fail_errno("chown");
  }
  return {};
}

Result<void> create_dev_symlink(int root_fd, const DevSymlinkStep &step) {
  BERTH_TRY_ASSIGN(UniqueFd dev, sys::mkdir_all_in_root(root_fd, "/dev"));
  if (!step.only_over_devpts) {
    if (::symlinkat(step.target.c_str(), dev.get(), step.name.c_str()) < 0 && errno != EEXIST)
      return fail_errno("symlink /dev/" + step.name);
    return {};
  }
  if (!devpts_mounted(root_fd))
    return {};
  return replace_with_symlink(dev.get(), step.name.c_str(), step.target.c_str());
}

} // namespace berth::linux
