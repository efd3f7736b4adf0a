// plan_rootfs: the order of the container's filesystem setup, its /dev and
// its finalize phase, from config.json alone. Pure: no syscall (rootfs.cpp
// performs the plan).
#include "linux/rootfs_plan.hpp"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "linux/devices.hpp"
#include "sys/path_resolve.hpp"
#include "tables/default_devices.hpp"
#include "tables/mount_options.hpp"

namespace berth::linux {
namespace {

// A device's fileMode when the config gives none.
constexpr mode_t kDefaultDeviceMode = 0666;

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

// Whether berth fills /dev: not when config.mounts binds something onto /dev
// (the container then sees that tree as it is); yes for a tmpfs /dev or none.
bool populates_dev(const spec::Config &config) {
  for (const auto &mount : config.mounts)
    if (sys::split_path(mount.destination) == std::vector<std::string>{"dev"} &&
        plan_mount(mount).bind)
      return false;
  return true;
}

Result<DeviceStep> plan_device(const spec::Device &device, std::optional<std::size_t> index) {
  DeviceStep step;
  step.index = index;
  step.path = device.path;
  step.what = "create device " + device.path;
  if (index)
    step.what = "/linux/devices/" + std::to_string(*index) + ": " + step.what;
  BERTH_TRY_ASSIGN(mode_t type, with_context(device_node_type(device), step.what));
  step.mode = type | (device.file_mode.value_or(kDefaultDeviceMode) & 07777);
  if (type != S_IFIFO)
    step.rdev = ::makedev(static_cast<unsigned>(device.major), static_cast<unsigned>(device.minor));
  if (device.uid)
    step.uid = static_cast<uid_t>(*device.uid);
  if (device.gid)
    step.gid = static_cast<gid_t>(*device.gid);
  return step;
}

// The default devices (config-linux.md, "Default Devices": root's, 0666),
// linux.devices, then the /dev symlinks.
Result<void> plan_dev(const spec::Config &config, std::vector<PrepareStep> &steps) {
  for (const auto &entry : tables::kDefaultDevices) {
    spec::Device device{"c", std::string(entry.path), entry.major, entry.minor, 0666u, 0u, 0u};
    BERTH_TRY_ASSIGN(DeviceStep step, plan_device(device, std::nullopt));
    steps.emplace_back(std::move(step));
  }
  if (config.linux) {
    const auto &devices = config.linux->devices;
    for (std::size_t i = 0; i < devices.size(); ++i) {
      BERTH_TRY_ASSIGN(DeviceStep step, plan_device(devices[i], i));
      steps.emplace_back(std::move(step));
    }
  }
  steps.emplace_back(DevSymlinkStep{"fd", "/proc/self/fd", false});
  steps.emplace_back(DevSymlinkStep{"stdin", "/proc/self/fd/0", false});
  steps.emplace_back(DevSymlinkStep{"stdout", "/proc/self/fd/1", false});
  steps.emplace_back(DevSymlinkStep{"stderr", "/proc/self/fd/2", false});
  steps.emplace_back(DevSymlinkStep{"ptmx", "pts/ptmx", true});
  return {};
}

RootSwitch root_switch(const RootfsPlanOptions &options) {
  // Without a mount namespace, pivot_root or MS_MOVE would change the root of
  // the whole host.
  if (options.shares_host_mounts)
    return RootSwitch::Chroot;
  return options.no_pivot ? RootSwitch::MoveAndChroot : RootSwitch::Pivot;
}

} // namespace

std::vector<FinalizeStep> plan_finalize(const spec::Config &config) {
  std::vector<FinalizeStep> steps;
  // The last /dev entry decides, as it is the one the container sees.
  bool readonly_dev = false;
  for (const auto &mount : config.mounts)
    if (sys::split_path(mount.destination) == std::vector<std::string>{"dev"})
      readonly_dev = is_readonly_dev(mount);
  if (readonly_dev)
    steps.emplace_back(MakeDevReadonly{});
  if (config.linux && !config.linux->readonly_paths.empty())
    steps.emplace_back(MakePathsReadonly{config.linux->readonly_paths});
  if (config.linux && !config.linux->masked_paths.empty())
    steps.emplace_back(MaskPaths{config.linux->masked_paths});
  if (config.root.readonly)
    steps.emplace_back(MakeRootReadonly{});
  return steps;
}

Result<RootfsPlan> plan_rootfs(const spec::Config &config, const RootfsPlanOptions &options) {
  RootfsPlan plan;
  plan.user_namespace = config.linux && config.linux->find_namespace(spec::NamespaceType::User);
  plan.cgroup_namespace = config.linux && config.linux->find_namespace(spec::NamespaceType::Cgroup);
  BERTH_TRY_ASSIGN(auto propagation, named_propagation(config));
  auto &steps = plan.prepare;
  // In the host's own namespace this would change the host: the preflight
  // refuses rootfsPropagation there, and the private rootfs bind isolates.
  if (!options.shares_host_mounts)
    steps.emplace_back(SetTreePropagation{propagation.value_or(MS_SLAVE | MS_REC)});
  steps.emplace_back(BindRootfs{options.shares_host_mounts});
  for (std::size_t i = 0; i < config.mounts.size(); ++i) {
    BERTH_TRY_ASSIGN(MountStep step, plan_mount_step(config, i));
    steps.emplace_back(std::move(step));
  }
  if (populates_dev(config))
    BERTH_TRY(plan_dev(config, steps));
  steps.emplace_back(BeforePivot{});
  const RootSwitch how = root_switch(options);
  steps.emplace_back(SwitchRoot{how});
  // The rootfs mount's own propagation, applied once it is "/".
  if (propagation && how != RootSwitch::Chroot)
    steps.emplace_back(SetRootPropagation{*propagation});
  plan.finalize = plan_finalize(config);
  return plan;
}

} // namespace berth::linux
