#include "linux/mounts.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cstdio>
#include <string_view>

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

bool is_proc_or_sysfs(const std::string &type) {
  return type == "proc" || type == "sysfs";
}

// An idmapped bind: the tree comes ready from berth, the init only attaches it.
Result<void> mount_idmapped_entry(const spec::Mount &mount, const MountPlan &plan,
                                  const MountContext &context) {
  if (!context.idmapped_tree)
    return fail("nothing here can build an idmapped mount", ENOTSUP);
  BERTH_TRY_ASSIGN(UniqueFd tree, context.idmapped_tree(context.index));
  struct stat st {};
  if (::fstat(tree.get(), &st) < 0)
    return fail_errno("stat the idmapped tree");
  UniqueFd target;
  if (S_ISDIR(st.st_mode)) {
    BERTH_TRY_ASSIGN(target, sys::mkdir_all_in_root(context.root_fd, mount.destination));
  } else {
    BERTH_TRY_ASSIGN(target, sys::create_file_in_root(context.root_fd, mount.destination));
  }
  return attach_with_propagation(tree.get(), target.get(), plan);
}

Result<void> mount_bind_entry(const spec::Mount &mount, const MountPlan &plan,
                              const MountContext &context) {
  if (plan.idmap)
    return mount_idmapped_entry(mount, plan, context);
  if (!mount.source || mount.source->empty())
    return fail("a bind mount needs a source", EINVAL);
  // The source is the host's (config.json is trusted); a relative one is relative
  // to the bundle, the current directory. Below a directory only the host's root
  // can search, the init (root of its user namespace only) cannot open it: berth
  // does, as runc does, and the bind goes on from that fd.
  // Where berth cannot either, both reasons are told: a rootless berth has no
  // more rights than the init, and a source that is not there at all only
  // shows as such from the host's side.
  auto opened = sys::open_path(*mount.source, O_PATH);
  if (!opened && opened.error().errno_value() == EACCES && context.user_namespace &&
      context.host_bind_source) {
    auto from_host = context.host_bind_source(context.index);
    if (from_host)
      opened = std::move(from_host);
    else
      opened = fail(opened.error().message() +
                    " (from the host's side: " + from_host.error().message() + ")");
  }
  BERTH_TRY_ASSIGN(UniqueFd source, std::move(opened));
  struct stat st {};
  if (::fstat(source.get(), &st) < 0)
    return fail_errno("stat " + *mount.source);
  UniqueFd target;
  if (S_ISDIR(st.st_mode)) {
    BERTH_TRY_ASSIGN(target, sys::mkdir_all_in_root(context.root_fd, mount.destination));
  } else {
    BERTH_TRY_ASSIGN(target, sys::create_file_in_root(context.root_fd, mount.destination));
  }
  BERTH_TRY_ASSIGN(UniqueFd tree, create_bind(source.get(), plan, context.user_namespace));
  return attach_with_propagation(tree.get(), target.get(), plan);
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

// linux.mountLabel, when the config has one.
const std::string *mount_label(const MountContext &context) {
  if (!context.config || !context.config->linux || !context.config->linux->mount_label)
    return nullptr;
  return &*context.config->linux->mount_label;
}

// The plan of a new filesystem with linux.mountLabel as its context= where the
// type takes one (lsm/selinux.cpp says which). Binds are not relabeled: they
// show the source's files with the source's labels.
MountPlan labeled_plan(const std::string &type, const MountPlan &plan,
                       const MountContext &context) {
  MountPlan labeled = plan;
  if (const auto *label = mount_label(context))
    labeled.data_options =
        lsm::selinux_mount_options(type, std::move(labeled.data_options), *label);
  return labeled;
}

// mqueue refuses context= (its superblock is the IPC namespace's), so its root
// takes the mount label instead; only a new IPC namespace's, as one the config
// joins (or the host's) belongs to others. A failure costs the container no
// confinement (an unlabeled root is only less reachable), and happens where
// setxattr is refused (a read-only mount, a user namespace): a warning.
void label_mqueue_root(int mount_fd, const MountContext &context) {
  const auto *label = mount_label(context);
  if (!label)
    return;
  const auto *ipc = context.config->linux->find_namespace(spec::NamespaceType::Ipc);
  if (!ipc || ipc->path)
    return;
  if (auto labeled = lsm::selinux_label_directory(mount_fd, *label); !labeled)
    log::warn("mqueue keeps its default SELinux label: " + labeled.error().message());
}

bool has_data_option(const MountPlan &plan, std::string_view key) {
  for (const auto &option : plan.data_options)
    if (option.size() > key.size() && option.compare(0, key.size(), key) == 0 &&
        option[key.size()] == '=')
      return true;
  return false;
}

// A tmpfs without mode= takes the mode of the directory it covers, as runc's
// does: an image's 0700 /root or 1777 /tmp keeps its meaning under the mount.
// A directory that berth has to create leaves the kernel's default (1777).
void inherit_tmpfs_mode(const spec::Mount &mount, const MountContext &context, MountPlan &plan) {
  if (has_data_option(plan, "mode"))
    return;
  auto existing = sys::open_in_root(context.root_fd, mount.destination, O_PATH | O_DIRECTORY);
  if (!existing)
    return;
  struct stat st {};
  if (::fstat(existing->get(), &st) < 0)
    return;
  char mode[16];
  std::snprintf(mode, sizeof mode, "mode=%04o", st.st_mode & 07777);
  plan.data_options.insert(plan.data_options.begin(), mode);
}

Result<void> mount_filesystem_entry(const spec::Mount &mount, const MountPlan &given_plan,
                                    const MountContext &context) {
  const std::string &type = *mount.type;
  MountPlan plan = given_plan;
  if (type == "tmpfs")
    inherit_tmpfs_mode(mount, context, plan);
  sys::InRootOptions options;
  // A symlink at /proc or /sys would let the rootfs choose where procfs lands.
  options.no_symlinks = is_proc_or_sysfs(type);
  BERTH_TRY_ASSIGN(UniqueFd target,
                   sys::mkdir_all_in_root(context.root_fd, mount.destination, 0755, options));
  if (type == "cgroup")
    return mount_cgroup(plan, target.get(), context);

  // A read-only sysfs gets a read-only superblock, as runc's mount(2) with
  // MS_RDONLY gives it. (An existing sysfs superblock, the host's network
  // namespace's, is shared and not reconfigured by this: kernfs reuses it as is.)
  const bool readonly_superblock = type == "sysfs" && (plan.flags & MS_RDONLY);
  auto created = create_filesystem(type, mount.source.value_or(type),
                                   labeled_plan(type, plan, context), readonly_superblock);
  if (!created && type == "sysfs" && context.user_namespace &&
      created.error().errno_value() == EPERM)
    created = bind_host_sysfs(plan);
  if (!created)
    return fail(std::move(created).error());
  UniqueFd filesystem = std::move(*created);
  if (type == "mqueue")
    label_mqueue_root(filesystem.get(), context);
  if (plan.tmpcopyup)
    BERTH_TRY_CTX(copy_tree(target.get(), filesystem.get()), "tmpcopyup");
  auto recursive = plan.recursive_attr_change();
  if (!recursive.empty())
    BERTH_TRY(sys::set_mount_attr(filesystem.get(), recursive, true));
  return attach_with_propagation(filesystem.get(), target.get(), plan);
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

bool is_readonly_dev(const spec::Mount &mount) {
  return sys::split_path(mount.destination) == std::vector<std::string>{"dev"} &&
         (plan_mount(mount).flags & MS_RDONLY);
}

Result<void> make_dev_readonly(int root_fd, const spec::Config &config) {
  bool wanted = false;
  for (const auto &mount : config.mounts)
    if (sys::split_path(mount.destination) == std::vector<std::string>{"dev"})
      wanted = is_readonly_dev(mount);
  if (!wanted)
    return {};
  BERTH_TRY_ASSIGN(UniqueFd dev, sys::open_in_root(root_fd, "/dev", O_PATH | O_DIRECTORY, 0,
                                                   {.no_symlinks = true}));
  sys::MountAttrChange read_only;
  read_only.set = MOUNT_ATTR_RDONLY;
  return with_context(sys::set_mount_attr(dev.get(), read_only, false), "make /dev read-only");
}

Result<void> mount_entry(const spec::Mount &mount, const MountContext &context) {
  MountPlan plan = plan_mount(mount);
  // A read-only /dev is filled first (devices, symlinks, the mounts below it)
  // and made read-only at the end, by make_dev_readonly, as runc does.
  if (is_readonly_dev(mount))
    plan.flags &= ~static_cast<unsigned long>(MS_RDONLY);
  const std::string what =
      plan.bind ? mount.source.value_or("bind") : mount.type.value_or(mount.source.value_or(""));
  std::string ctx = "mount " + what + " on " + mount.destination;
  // Its failures are of the host's side (the source's filesystem, the mapping):
  // the config entry is named.
  if (plan.bind && plan.idmap)
    ctx = "/mounts/" + std::to_string(context.index) + ": idmapped " + ctx;
  if (plan.unsupported_flags())
    log::debug(ctx + ": ignoring flags no mount attribute can express");
  if (plan.bind)
    return with_context(mount_bind_entry(mount, plan, context), ctx);
  if (!mount.type || mount.type->empty())
    return fail(ctx + ": a mount that is not a bind needs a type", EINVAL);
  return with_context(mount_filesystem_entry(mount, plan, context), ctx);
}

} // namespace berth::linux
