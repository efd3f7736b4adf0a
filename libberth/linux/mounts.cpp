#include "linux/mounts.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cstdio>

#include "linux/cgroup_mount.hpp"
#include "linux/copy_tree.hpp"
#include "lsm/selinux.hpp"
#include "sys/log.hpp"
#include "sys/path_resolve.hpp"
#include "sys/syscalls.hpp"

namespace berth::linux {
namespace {

// The per-mount attributes a mount currently has, from statvfs(3) flags.
std::uint64_t current_attrs(int mount_fd) {
  struct statvfs st {};
  if (::fstatvfs(mount_fd, &st) < 0)
    return 0;
  std::uint64_t attrs = 0;
  if (st.f_flag & ST_RDONLY)
    attrs |= MOUNT_ATTR_RDONLY;
  if (st.f_flag & ST_NOSUID)
    attrs |= MOUNT_ATTR_NOSUID;
  if (st.f_flag & ST_NODEV)
    attrs |= MOUNT_ATTR_NODEV;
  if (st.f_flag & ST_NOEXEC)
    attrs |= MOUNT_ATTR_NOEXEC;
  if (st.f_flag & ST_NOATIME)
    attrs |= MOUNT_ATTR_NOATIME;
  if (st.f_flag & ST_NODIRATIME)
    attrs |= MOUNT_ATTR_NODIRATIME;
  return attrs;
}

// mount_setattr, and in a user namespace a second try that leaves alone what the
// kernel locked: flags the mount already has cannot be cleared there, nor can
// its access-time mode change.
Result<void> set_attrs_keeping_locked(int mount_fd, sys::MountAttrChange change, bool recursive,
                                      bool user_namespace) {
  auto result = sys::set_mount_attr(mount_fd, change, recursive);
  if (result || result.error().errno_value() != EPERM || !user_namespace)
    return result;
  const auto locked = current_attrs(mount_fd);
  change.clear &= ~locked;
  if (change.clear & MOUNT_ATTR__ATIME) {
    change.clear &= ~static_cast<std::uint64_t>(MOUNT_ATTR__ATIME);
    change.set &= ~static_cast<std::uint64_t>(MOUNT_ATTR__ATIME);
  }
  log::warn("the user namespace locks flags of this mount; keeping them");
  return sys::set_mount_attr(mount_fd, change, recursive);
}

std::string unquote(std::string value) {
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
    return value.substr(1, value.size() - 2);
  return value;
}

// The mount point for a mount of what `source_fd` is: a directory for a
// directory, a file for anything else (TargetKind::LikeSource). `source` names
// it in an error.
Result<UniqueFd> target_like(int source_fd, const std::string &source, const MountStep &step,
                             const MountContext &context) {
  struct stat st {};
  if (::fstat(source_fd, &st) < 0)
    return fail_errno("stat " + source);
  if (S_ISDIR(st.st_mode))
    return sys::mkdir_all_in_root(context.root_fd, step.destination);
  return sys::create_file_in_root(context.root_fd, step.destination);
}

// An idmapped bind: the tree comes ready from berth, the init only attaches it.
Result<void> mount_idmapped_entry(const MountStep &step, const MountContext &context) {
  if (!context.idmapped_tree)
    return fail("nothing here can build an idmapped mount", ENOTSUP);
  BERTH_TRY_ASSIGN(UniqueFd tree, context.idmapped_tree(step.index));
  BERTH_TRY_ASSIGN(UniqueFd target, target_like(tree.get(), "the idmapped tree", step, context));
  return attach_with_propagation(tree.get(), target.get(), step.options);
}

Result<void> mount_bind_entry(const MountStep &step, const MountContext &context) {
  // The source is the host's (config.json is trusted); a relative one is relative
  // to the bundle, the current directory. Below a directory only the host's root
  // can search, the init (root of its user namespace only) cannot open it: berth
  // does, as runc does, and the bind goes on from that fd.
  // Where berth cannot either, both reasons are told: a rootless berth has no
  // more rights than the init, and a source that is not there at all only
  // shows as such from the host's side.
  auto opened = sys::open_path(step.source, O_PATH);
  if (!opened && opened.error().errno_value() == EACCES && context.user_namespace &&
      context.host_bind_source) {
    auto from_host = context.host_bind_source(step.index);
    if (from_host)
      opened = std::move(from_host);
    else
      opened = fail(opened.error().message() +
                    " (from the host's side: " + from_host.error().message() + ")");
  }
  BERTH_TRY_ASSIGN(UniqueFd source, std::move(opened));
  BERTH_TRY_ASSIGN(UniqueFd target, target_like(source.get(), step.source, step, context));
  BERTH_TRY_ASSIGN(UniqueFd tree, create_bind(source.get(), step.options, context.user_namespace));
  return attach_with_propagation(tree.get(), target.get(), step.options);
}

// sysfs belongs to the network namespace: in a user namespace that does not own
// one, the kernel refuses a new instance, and the host's is bound instead.
Result<UniqueFd> bind_host_sysfs(const MountPlan &plan) {
  log::debug("sysfs cannot be mounted in this user namespace: binding the host's /sys");
  MountPlan bind_plan = plan;
  bind_plan.bind = true;
  bind_plan.recursive_bind = true;
  // The host's tree below /sys (its cgroup mounts) comes along: "ro" covers it too.
  if (plan.flags & MS_RDONLY)
    bind_plan.recursive_set |= MOUNT_ATTR_RDONLY;
  BERTH_TRY_ASSIGN(UniqueFd host_sys, sys::open_path("/sys", O_PATH | O_DIRECTORY));
  return create_bind(host_sys.get(), bind_plan, true);
}

// The options of a new filesystem with linux.mountLabel as its context= where
// the host has SELinux and the type takes one (lsm/selinux.cpp says which).
// Binds are not relabeled: they show the source's files with the source's labels.
MountPlan labeled_options(const MountStep &step, MountPlan options) {
  if (step.selinux_label)
    options.data_options = lsm::selinux_mount_options(step.fstype, std::move(options.data_options),
                                                      *step.selinux_label);
  return options;
}

// mqueue refuses context= (its superblock is the IPC namespace's), so its root
// takes the mount label instead (MountStep::label_root). A failure costs the
// container no confinement (an unlabeled root is only less reachable), and
// happens where setxattr is refused (a read-only mount, a user namespace): a
// warning.
void label_root(int mount_fd, const MountStep &step) {
  if (!step.label_root || !step.selinux_label)
    return;
  if (auto labeled = lsm::selinux_label_directory(mount_fd, *step.selinux_label); !labeled)
    log::warn(step.fstype + " keeps its default SELinux label: " + labeled.error().message());
}

// A tmpfs without mode= takes the mode of the directory it covers, as runc's
// does: an image's 0700 /root or 1777 /tmp keeps its meaning under the mount.
// A directory that berth has to create leaves the kernel's default (1777).
void inherit_mode(const MountStep &step, const MountContext &context, MountPlan &options) {
  auto existing = sys::open_in_root(context.root_fd, step.destination, O_PATH | O_DIRECTORY);
  if (!existing)
    return;
  struct stat st {};
  if (::fstat(existing->get(), &st) < 0)
    return;
  char mode[16];
  std::snprintf(mode, sizeof mode, "mode=%04o", st.st_mode & 07777);
  options.data_options.insert(options.data_options.begin(), mode);
}

Result<void> mount_filesystem_entry(const MountStep &step, const MountContext &context) {
  MountPlan options = step.options;
  if (step.inherit_mode)
    inherit_mode(step, context, options);
  sys::InRootOptions in_root;
  in_root.no_symlinks = step.no_symlinks;
  BERTH_TRY_ASSIGN(UniqueFd target,
                   sys::mkdir_all_in_root(context.root_fd, step.destination, 0755, in_root));
  if (step.kind == MountKind::Cgroup)
    return mount_cgroup(options, target.get(), context);

  // (An existing sysfs superblock, the host's network namespace's, is shared
  // and not reconfigured by readonly_superblock: kernfs reuses it as is.)
  auto created = create_filesystem(step.fstype, step.source, labeled_options(step, options),
                                   step.readonly_superblock);
  if (!created && step.fstype == "sysfs" && context.user_namespace &&
      created.error().errno_value() == EPERM)
    created = bind_host_sysfs(options);
  if (!created)
    return fail(std::move(created).error());
  UniqueFd filesystem = std::move(*created);
  label_root(filesystem.get(), step);
  if (options.tmpcopyup)
    BERTH_TRY_CTX(copy_tree(target.get(), filesystem.get()), "tmpcopyup");
  auto recursive = options.recursive_attr_change();
  if (!recursive.empty())
    BERTH_TRY(sys::set_mount_attr(filesystem.get(), recursive, true));
  return attach_with_propagation(filesystem.get(), target.get(), options);
}

} // namespace

Result<UniqueFd> create_filesystem(const std::string &fstype, const std::string &source,
                                   const MountPlan &plan, bool readonly_superblock) {
  BERTH_TRY_ASSIGN(auto context, sys::FsContext::open(fstype));
  if (!source.empty())
    BERTH_TRY(context.set_string("source", source));
  if (readonly_superblock)
    BERTH_TRY(context.set_flag("ro"));
  for (const auto &flag : plan.superblock_flags())
    BERTH_TRY(context.set_flag(flag));
  // fsconfig takes each value whole, so the quotes mount(2)'s data string needs
  // around a value with commas (an SELinux context="...:s0:c1,c2") come off.
  for (const auto &option : plan.data_options) {
    auto equals = option.find('=');
    if (equals == std::string::npos) {
      BERTH_TRY(context.set_flag(option));
    } else {
      BERTH_TRY(context.set_string(option.substr(0, equals), unquote(option.substr(equals + 1))));
    }
  }
  return context.create_mount(plan.fsmount_attrs());
}

Result<UniqueFd> create_bind(int source_fd, const MountPlan &plan, bool user_namespace) {
  BERTH_TRY_ASSIGN(UniqueFd tree, sys::clone_mount(source_fd, "", plan.recursive_bind));
  auto top = plan.top_attr_change();
  if (!top.empty())
    BERTH_TRY(set_attrs_keeping_locked(tree.get(), top, false, user_namespace));
  auto recursive = plan.recursive_attr_change();
  if (!recursive.empty())
    BERTH_TRY(set_attrs_keeping_locked(tree.get(), recursive, true, user_namespace));
  return tree;
}

Result<void> attach_with_propagation(int mount_fd, int target_fd, const MountPlan &plan) {
  BERTH_TRY(sys::attach_mount(mount_fd, target_fd));
  for (const auto &change : plan.propagation) {
    sys::MountAttrChange propagation;
    propagation.propagation = change.type;
    BERTH_TRY_CTX(sys::set_mount_attr(mount_fd, propagation, change.recursive), "propagation");
  }
  return {};
}

Result<void> make_dev_readonly(int root_fd) {
  BERTH_TRY_ASSIGN(UniqueFd dev, sys::open_in_root(root_fd, "/dev", O_PATH | O_DIRECTORY, 0,
                                                   {.no_symlinks = true}));
  sys::MountAttrChange read_only;
  read_only.set = MOUNT_ATTR_RDONLY;
  return with_context(sys::set_mount_attr(dev.get(), read_only, false), "make /dev read-only");
}

Result<void> perform_mount_step(const MountStep &step, const MountContext &context) {
  if (step.options.unsupported_flags())
    log::debug(step.what + ": ignoring flags no mount attribute can express");
  switch (step.kind) {
  case MountKind::IdmappedBind:
    return with_context(mount_idmapped_entry(step, context), step.what);
  case MountKind::Bind:
    return with_context(mount_bind_entry(step, context), step.what);
  case MountKind::Filesystem:
  case MountKind::Cgroup:
    break;
  }
  return with_context(mount_filesystem_entry(step, context), step.what);
}

} // namespace berth::linux
