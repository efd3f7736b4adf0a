#include "container/host_rootfs_mount.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <utility>

#include "sys/log.hpp"

namespace berth::container {

Result<std::uint64_t> top_mount_id(const std::string &path) {
  struct statx stx {};
  if (::statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_MNT_ID, &stx) <
      0)
    return fail_errno("statx " + path);
  if (!(stx.stx_mask & STATX_MNT_ID))
    return fail("statx gives no mount id for " + path, ENOSYS);
  return std::uint64_t{stx.stx_mnt_id};
}

Result<void> detach_host_rootfs_mount(const std::string &rootfs, std::uint64_t mount_id) {
  auto top = top_mount_id(rootfs);
  if (!top && top.error().errno_value() == ENOENT)
    return {};
  BERTH_TRY(std::move(top));
  if (*top != mount_id)
    return {}; // already gone: someone else unmounted it
  if (::umount2(rootfs.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
    return fail_errno("detach the rootfs bind at " + rootfs + " from the host's mount namespace");
  return {};
}

Result<void> detach_host_rootfs_mounts(const std::string &rootfs, std::uint64_t bind,
                                       std::uint64_t below) {
  if (bind != 0)
    return detach_host_rootfs_mount(rootfs, bind);
  if (below == 0)
    return {};
  auto top = top_mount_id(rootfs);
  if (!top && top.error().errno_value() == ENOENT)
    return {};
  BERTH_TRY(std::move(top));
  if (*top == below)
    return {}; // the init never bound it, or it is gone already
  return detach_host_rootfs_mount(rootfs, *top);
}

Result<HostRootfsMountGuard> HostRootfsMountGuard::before_setup(const std::string &rootfs) {
  BERTH_TRY_ASSIGN(std::uint64_t before, top_mount_id(rootfs));
  return HostRootfsMountGuard(rootfs, before);
}

HostRootfsMountGuard::HostRootfsMountGuard(HostRootfsMountGuard &&other) noexcept
    : rootfs_(std::move(other.rootfs_)), before_(other.before_), armed_(other.armed_) {
  other.armed_ = false;
}

Result<std::uint64_t> HostRootfsMountGuard::made() const {
  BERTH_TRY_ASSIGN(std::uint64_t now, top_mount_id(rootfs_));
  return now == before_ ? 0 : now;
}

HostRootfsMountGuard::~HostRootfsMountGuard() {
  if (!armed_)
    return;
  auto now = made();
  if (!now || *now == 0)
    return;
  if (auto detached = detach_host_rootfs_mount(rootfs_, *now); !detached)
    log::warn(detached.error().message());
}

} // namespace berth::container
