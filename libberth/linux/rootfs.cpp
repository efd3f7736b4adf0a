#include "linux/rootfs.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>

#include "linux/devices.hpp"
#include "linux/masked_paths.hpp"
#include "linux/mounts.hpp"
#include "linux/pivot.hpp"
#include "sys/mount_api.hpp"
#include "sys/mountinfo.hpp"
#include "sys/syscalls.hpp"
#include "tables/mount_options.hpp"

namespace berth::linux {
namespace {

// linux.rootfsPropagation as mount(2) flags, or nothing when the config names none.
Result<std::optional<unsigned long>> named_propagation(const spec::Config &config) {
  if (!config.linux || !config.linux->rootfs_propagation)
    return std::optional<unsigned long>();
  const auto &name = *config.linux->rootfs_propagation;
  const auto *info = tables::find_propagation(name);
  if (!info)
    return fail("unknown rootfsPropagation \"" + name + "\"", EINVAL);
  return std::optional<unsigned long>(info->flags | (info->recursive ? MS_REC : 0));
}

// pivot_root and MS_MOVE refuse a rootfs whose parent mount is shared, and
// pivot_root also a shared "/"; an unbindable parent cannot be bound at all.
// Making those private changes nothing the container can see: both are left
// behind with the host's tree (rootfsPropagation is applied to the rootfs mount
// after the pivot).
Result<void> make_rootfs_parent_private(int rootfs_fd) {
  struct statx stx {};
  if (::statx(rootfs_fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0)
    return fail_errno("statx");
  if (!(stx.stx_mask & STATX_MNT_ID))
    return fail("statx gives no mount id", ENOSYS);
  BERTH_TRY_ASSIGN(auto mounts, sys::read_mountinfo());
  for (const auto &mount : mounts) {
    const bool parent = mount.mount_id == static_cast<int>(stx.stx_mnt_id);
    const bool in_the_way = (parent && (mount.shared() || mount.unbindable())) ||
                            (mount.mount_point == "/" && mount.shared());
    if (in_the_way && ::mount(nullptr, mount.mount_point.c_str(), nullptr, MS_PRIVATE, nullptr) < 0)
      return fail_errno("make " + mount.mount_point + " private");
  }
  return {};
}

// Binds the rootfs onto itself, with what is mounted below it, and returns the
// new mount: the root every later lookup is confined to.
Result<UniqueFd> bind_rootfs(const std::string &rootfs) {
  BERTH_TRY_ASSIGN(UniqueFd directory, sys::open_path(rootfs, O_PATH | O_DIRECTORY));
  BERTH_TRY(make_rootfs_parent_private(directory.get()));
  BERTH_TRY_ASSIGN(UniqueFd tree, sys::clone_mount(directory.get(), "", true));
  BERTH_TRY(sys::attach_mount(tree.get(), directory.get()));
  return tree;
}

// Without a mount namespace of its own: a recursive copy of the rootfs
// attached on top of it, made private so that only this container's mounts go
// under it and none of them propagates to the host's peers. Nothing of the
// host's tree changes propagation.
Result<UniqueFd> bind_rootfs_in_host_namespace(const std::string &rootfs) {
  BERTH_TRY_ASSIGN(UniqueFd directory, sys::open_path(rootfs, O_PATH | O_DIRECTORY));
  BERTH_TRY_ASSIGN(UniqueFd tree, sys::clone_mount(directory.get(), "", true));
  sys::MountAttrChange isolated;
  isolated.propagation = MS_PRIVATE;
  // A copy is in the peer group of its source (a shared rootfs' mount)...
  BERTH_TRY_CTX(sys::set_mount_attr(tree.get(), isolated, true), "make the rootfs bind private");
  BERTH_TRY(sys::attach_mount(tree.get(), directory.get()));
  // ...and one attached under a shared mount is made shared with the copies
  // the kernel propagates to its peers: private again, before anything is
  // mounted below it. (Those copies go with it: its unmount propagates too.)
  BERTH_TRY_CTX(sys::set_mount_attr(tree.get(), isolated, true), "make the rootfs bind private");
  return tree;
}

Result<void> chroot_into(int root_fd) {
  if (::fchdir(root_fd) < 0)
    return fail_errno("chdir to the rootfs");
  if (::chroot(".") < 0)
    return fail_errno("chroot into the rootfs");
  if (::chdir("/") < 0)
    return fail_errno("chdir /");
  return {};
}

bool has_user_namespace(const spec::Config &config) {
  return config.linux && config.linux->find_namespace(spec::NamespaceType::User);
}

} // namespace

Result<void> prepare_rootfs(const spec::Config &config, const RootfsOptions &options) {
  BERTH_TRY_ASSIGN(auto propagation, named_propagation(config));
  const bool host = options.shares_host_mounts;
  // Before anything is mounted: with "/" rslave (the default) nothing done in
  // this namespace travels back to the host's. (In the host's own namespace,
  // that would change the host: the feature gate refuses rootfsPropagation
  // there, and the private rootfs bind does the isolating.)
  if (!host && ::mount(nullptr, "/", nullptr, propagation.value_or(MS_SLAVE | MS_REC), nullptr) < 0)
    return fail_errno("set the propagation of /");

  BERTH_TRY_ASSIGN(UniqueFd root, with_context(host ? bind_rootfs_in_host_namespace(options.rootfs)
                                                    : bind_rootfs(options.rootfs),
                                               "bind the rootfs " + options.rootfs));

  MountContext context;
  context.root_fd = root.get();
  context.user_namespace = has_user_namespace(config);
  context.cgroup_namespace =
      config.linux && config.linux->find_namespace(spec::NamespaceType::Cgroup);
  context.config = &config;
  context.idmapped_tree = options.idmapped_tree;
  context.host_bind_source = options.host_bind_source;
  for (std::size_t i = 0; i < config.mounts.size(); ++i) {
    context.index = i;
    BERTH_TRY(mount_entry(config.mounts[i], context));
  }

  if (should_populate_dev(config)) {
    BERTH_TRY(create_devices(root.get(), config, options.host_device_node));
    BERTH_TRY(create_dev_symlinks(root.get()));
  }

  if (options.before_pivot)
    BERTH_TRY(options.before_pivot());
  if (host)
    return chroot_into(root.get());
  if (options.no_pivot) {
    BERTH_TRY(move_into(root.get()));
  } else {
    BERTH_TRY(pivot_into(root.get()));
  }
  if (propagation && ::mount(nullptr, "/", nullptr, *propagation, nullptr) < 0)
    return fail_errno("apply rootfsPropagation to /");
  return {};
}

Result<void> finalize_rootfs(const spec::Config &config) {
  BERTH_TRY_ASSIGN(UniqueFd root, sys::open_path("/", O_PATH | O_DIRECTORY));
  BERTH_TRY(make_dev_readonly(root.get(), config));
  if (config.linux) {
    BERTH_TRY(make_paths_readonly(root.get(), config.linux->readonly_paths));
    BERTH_TRY(mask_paths(root.get(), config.linux->masked_paths));
  }
  if (config.root.readonly)
    BERTH_TRY(make_root_readonly(root.get()));
  return {};
}

} // namespace berth::linux
