// A container without a mount namespace shares the runtime's: its init binds
// the rootfs onto itself there (linux/rootfs.hpp) and mounts config.mounts under
// that bind, all in the host's tree. Nothing of it may outlive the container:
// a failed create and delete detach the bind, and with it everything below.
// The bind is known by its mount id, so that another mount at the same path (a
// second container on the same rootfs, something the host mounted since) is
// never taken for it.
#pragma once

#include <cstdint>
#include <string>

#include "sys/error.hpp"

namespace berth::container {

// The id of the topmost mount at `path` (statx STATX_MNT_ID, no symlink followed).
Result<std::uint64_t> top_mount_id(const std::string &path);

// Detaches the mount `mount_id` at `rootfs` (MNT_DETACH, so with its submounts)
// when it is still the topmost mount there; nothing to do otherwise.
Result<void> detach_host_rootfs_mount(const std::string &rootfs, std::uint64_t mount_id);

// For delete: the container's bind, by the ids in its state (the bind's own,
// or for a create that was killed before it recorded one, whatever is on top of
// the mount that was there before), detached; nothing when there is none.
Result<void> detach_host_rootfs_mounts(const std::string &rootfs, std::uint64_t bind,
                                       std::uint64_t below);

// Held by create around the init's setup: on destruction, unless released, a
// mount the init put on top of the rootfs is detached.
class HostRootfsMountGuard {
public:
  // Records the mount that is at `rootfs` before the init runs.
  static Result<HostRootfsMountGuard> before_setup(const std::string &rootfs);
  HostRootfsMountGuard(HostRootfsMountGuard &&other) noexcept;
  HostRootfsMountGuard &operator=(HostRootfsMountGuard &&) = delete;
  ~HostRootfsMountGuard();

  // The id of the mount at the rootfs before the init ran, for the state.
  std::uint64_t below() const { return before_; }
  // The id of the bind the init made (0 when it made none), for the state.
  Result<std::uint64_t> made() const;
  void release() { armed_ = false; }

private:
  HostRootfsMountGuard(std::string rootfs, std::uint64_t before)
      : rootfs_(std::move(rootfs)), before_(before) {}
  std::string rootfs_;
  std::uint64_t before_ = 0;
  bool armed_ = true;
};

} // namespace berth::container
