#include "container/feature_gate.hpp"

#include "lsm/apparmor.hpp"
#include "tables/mount_options.hpp"

namespace berth::container {
namespace {

std::unexpected<Error> not_yet(std::string_view pointer, std::string_view what) {
  return fail("config.json: " + std::string(pointer) + ": " + std::string(what) +
              " is not supported yet");
}

} // namespace

Result<std::vector<std::string>> check_supported(const spec::Config &config,
                                                 const CreateOptions & /*options*/) {
  std::vector<std::string> warnings;
  const auto &process = *config.process;
  // A profile the host cannot enforce must not be dropped silently. (SELinux
  // labels are ignored where SELinux is disabled, as runc does: lsm/selinux.hpp.)
  if (process.apparmor_profile && !lsm::apparmor_enabled())
    return fail("config.json: /process/apparmorProfile: AppArmor is not enabled on this host");
  if (process.scheduler)
    return not_yet("/process/scheduler", "scheduler");
  if (process.io_priority)
    return not_yet("/process/ioPriority", "ioPriority");
  if (process.exec_cpu_affinity)
    return not_yet("/process/execCPUAffinity", "execCPUAffinity");
  for (std::size_t i = 0; i < config.mounts.size(); ++i) {
    const auto &mount = config.mounts[i];
    std::string where = "/mounts/" + std::to_string(i);
    if (!mount.uid_mappings.empty() || !mount.gid_mappings.empty())
      return not_yet(where + "/uidMappings", "an idmapped mount");
    for (const auto &option : mount.options) {
      const auto *info = tables::find_mount_option(option);
      if (info && info->kind == tables::MountOptionKind::Idmap)
        return not_yet(where + "/options", "an idmapped mount (\"" + option + "\")");
    }
  }
  if (!config.linux) {
    return fail("config.json: /linux: berth needs at least a mount namespace");
  }
  const auto &linux = *config.linux;
  // pivot_root needs a mount namespace that is not the host's: a new one, or an
  // existing one whose filesystem view is already set up (see init.cpp).
  if (!linux.find_namespace(spec::NamespaceType::Mount))
    return fail("config.json: /linux/namespaces: a mount namespace (new or joined) is required");
  if (linux.intel_rdt)
    return not_yet("/linux/intelRdt", "intelRdt");
  if (linux.personality)
    return not_yet("/linux/personality", "personality");
  if (linux.memory_policy)
    return not_yet("/linux/memoryPolicy", "memoryPolicy");
  if (!linux.net_devices.empty())
    return not_yet("/linux/netDevices", "netDevices");
  return warnings;
}

Result<void> check_terminal(const spec::Process &process, const CreateOptions &options,
                            bool foreground) {
  if (process.terminal && options.console_socket.empty() && !foreground)
    return fail("config.json: /process/terminal: a detached container's terminal needs "
                "--console-socket to hand its master to");
  if (!process.terminal && !options.console_socket.empty())
    return fail("--console-socket needs a terminal (/process/terminal in config.json is false)");
  return {};
}

} // namespace berth::container
