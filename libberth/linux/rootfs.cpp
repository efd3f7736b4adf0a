#include "linux/rootfs.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <functional>
#include <variant>

#include "linux/devices.hpp"
#include "linux/masked_paths.hpp"
#include "linux/mounts.hpp"
#include "linux/pivot.hpp"
#include "linux/rootfs_plan.hpp"
#include "sys/mount_api.hpp"
#include "sys/mountinfo.hpp"
#include "sys/syscalls.hpp"

namespace berth::linux {
namespace {

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

// Performs the steps of phase 1 in order; the rootfs mount, once bound, is
// where every later step resolves its paths.
class PrepareSteps {
public:
  PrepareSteps(const RootfsPlan &plan, const RootfsOptions &options) : options_(options) {
    context_.user_namespace = plan.user_namespace;
    context_.cgroup_namespace = plan.cgroup_namespace;
    context_.idmapped_tree = options.idmapped_tree;
    context_.host_bind_source = options.host_bind_source;
  }

  Result<void> operator()(const SetTreePropagation &step) {
    if (::mount(nullptr, "/", nullptr, step.flags, nullptr) < 0)
      return fail_errno("set the propagation of /");
    return {};
  }
  Result<void> operator()(const BindRootfs &step) {
    BERTH_TRY_ASSIGN(root_, with_context(step.private_in_host_namespace
                                             ? bind_rootfs_in_host_namespace(options_.rootfs)
                                             : bind_rootfs(options_.rootfs),
                                         "bind the rootfs " + options_.rootfs));
    context_.root_fd = root_.get();
    return {};
  }
  Result<void> operator()(const MountStep &step) { return perform_mount_step(step, context_); }
  Result<void> operator()(const DeviceStep &step) {
    std::function<Result<UniqueFd>()> host_node;
    if (step.index && options_.host_device_node)
      host_node = [this, index = *step.index] { return options_.host_device_node(index); };
    return with_context(create_device(root_.get(), step, host_node), step.what);
  }
  Result<void> operator()(const DevSymlinkStep &step) {
    return create_dev_symlink(root_.get(), step);
  }
  Result<void> operator()(const BeforePivot &) {
    return options_.before_pivot ? options_.before_pivot() : Result<void>();
  }
  Result<void> operator()(const SwitchRoot &step) {
    switch (step.how) {
    case RootSwitch::Chroot:
      return chroot_into(root_.get());
    case RootSwitch::MoveAndChroot:
      return move_into(root_.get());
    case RootSwitch::Pivot:
      break;
    }
    return pivot_into(root_.get());
  }
  Result<void> operator()(const SetRootPropagation &step) {
    if (::mount(nullptr, "/", nullptr, step.flags, nullptr) < 0)
      return fail_errno("apply rootfsPropagation to /");
    return {};
  }

private:
  const RootfsOptions &options_;
  UniqueFd root_;
  MountContext context_;
};

// Performs the steps of phase 2 on the container's "/".
struct FinalizeSteps {
  int root_fd;
  Result<void> operator()(const MakeDevReadonly &) { return make_dev_readonly(root_fd); }
  Result<void> operator()(const MakePathsReadonly &step) {
    return make_paths_readonly(root_fd, step.paths);
  }
  Result<void> operator()(const MaskPaths &step) { return mask_paths(root_fd, step.paths); }
  Result<void> operator()(const MakeRootReadonly &) { return make_root_readonly(root_fd); }
};

} // namespace

Result<void> prepare_rootfs(const spec::Config &config, const RootfsOptions &options) {
  BERTH_TRY_ASSIGN(RootfsPlan plan,
                   plan_rootfs(config, {.no_pivot = options.no_pivot,
                                        .shares_host_mounts = options.shares_host_mounts}));
  PrepareSteps perform(plan, options);
  for (const auto &step : plan.prepare)
    BERTH_TRY(std::visit(perform, step));
  return {};
}

Result<void> finalize_rootfs(const spec::Config &config) {
  BERTH_TRY_ASSIGN(UniqueFd root, sys::open_path("/", O_PATH | O_DIRECTORY));
  FinalizeSteps perform{root.get()};
  for (const auto &step : plan_finalize(config))
    BERTH_TRY(std::visit(perform, step));
  return {};
}

} // namespace berth::linux
