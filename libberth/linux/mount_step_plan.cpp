// plan_mount_step: one entry of config.mounts as a MountStep. Pure: it reads
// the config only; mounts.cpp performs the step.
#include <string_view>

#include "linux/rootfs_plan.hpp"
#include "sys/path_resolve.hpp"

namespace berth::linux {
namespace {

bool is_dev(const spec::Mount &mount) {
  return sys::split_path(mount.destination) == std::vector<std::string>{"dev"};
}

bool has_data_option(const MountPlan &plan, std::string_view key) {
  for (const auto &option : plan.data_options)
    if (option.size() > key.size() && option.compare(0, key.size(), key) == 0 &&
        option[key.size()] == '=')
      return true;
  return false;
}

// mqueue's superblock is its IPC namespace's: only a new one's root is the
// container's to label (one the config joins, or the host's, is others').
bool owns_ipc_namespace(const spec::Config &config) {
  const auto *ipc = config.linux ? config.linux->find_namespace(spec::NamespaceType::Ipc) : nullptr;
  return ipc && !ipc->path;
}

void plan_filesystem(const spec::Config &config, const spec::Mount &mount, MountStep &step) {
  const std::string &type = *mount.type;
  step.kind = type == "cgroup" ? MountKind::Cgroup : MountKind::Filesystem;
  step.fstype = type;
  // A symlink at /proc or /sys would let the rootfs choose where procfs lands.
  step.no_symlinks = type == "proc" || type == "sysfs";
  if (step.kind == MountKind::Cgroup)
    return; // the host's layout decides the rest (cgroup_mount.hpp)
  step.source = mount.source.value_or(type);
  step.readonly_superblock = type == "sysfs" && (step.options.flags & MS_RDONLY);
  step.inherit_mode = type == "tmpfs" && !has_data_option(step.options, "mode");
  if (config.linux && config.linux->mount_label) {
    step.selinux_label = *config.linux->mount_label;
    step.label_root = type == "mqueue" && owns_ipc_namespace(config);
  }
}

} // namespace

bool is_readonly_dev(const spec::Mount &mount) {
  return is_dev(mount) && (plan_mount(mount).flags & MS_RDONLY);
}

Result<MountStep> plan_mount_step(const spec::Config &config, std::size_t index) {
  const spec::Mount &mount = config.mounts.at(index);
  MountStep step;
  step.index = index;
  step.destination = mount.destination;
  step.options = plan_mount(mount);
  // A read-only /dev is filled first (devices, symlinks, the mounts below it)
  // and made read-only at the end (MakeDevReadonly), as runc does.
  if (is_readonly_dev(mount))
    step.options.flags &= ~static_cast<unsigned long>(MS_RDONLY);
  const bool bind = step.options.bind;
  const std::string shown =
      bind ? mount.source.value_or("bind") : mount.type.value_or(mount.source.value_or(""));
  step.what = "mount " + shown + " on " + mount.destination;
  if (bind && step.options.idmap) {
    // Its failures are of the host's side (the source's filesystem, the
    // mapping): the config entry is named.
    step.what = "/mounts/" + std::to_string(index) + ": idmapped " + step.what;
    step.kind = MountKind::IdmappedBind;
    step.target = TargetKind::LikeSource;
    return step;
  }
  if (bind) {
    if (!mount.source || mount.source->empty())
      return fail("/mounts/" + std::to_string(index) + "/source: " + step.what +
                      ": a bind mount needs a source",
                  EINVAL);
    step.kind = MountKind::Bind;
    step.source = *mount.source;
    step.target = TargetKind::LikeSource;
    return step;
  }
  if (!mount.type || mount.type->empty())
    return fail("/mounts/" + std::to_string(index) + "/type: " + step.what +
                    ": a mount that is not a bind needs a type",
                EINVAL);
  plan_filesystem(config, mount, step);
  return step;
}

} // namespace berth::linux
