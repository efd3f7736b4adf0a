#include "container/feature_gate.hpp"

#include <sys/vfs.h>

#include "linux/mount_options.hpp"
#include "lsm/apparmor.hpp"

namespace berth::container {
namespace {

constexpr decltype(statfs::f_type) kResctrlMagic = 0x7655821; // RDTGROUP_SUPER_MAGIC

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
  for (std::size_t i = 0; i < config.mounts.size(); ++i) {
    const auto &mount = config.mounts[i];
    std::string where = "/mounts/" + std::to_string(i);
    // berth idmaps bind mounts only (the spec's own examples are binds).
    const auto plan = linux::plan_mount(mount);
    if (plan.idmap && !plan.bind)
      return not_yet(where, "an idmapped mount that is not a bind mount");
  }
  if (!config.linux) {
    return fail("config.json: /linux: berth needs at least a mount namespace");
  }
  const auto &linux = *config.linux;
  // Without a mount namespace the container shares the runtime's (config.md);
  // the init then mounts in the host's tree and chroots (init.cpp). What would
  // change the host's own mounts rather than the rootfs is refused: runc
  // refuses the first two too ("unable to restrict sys entries without a
  // private MNT namespace"), and applies the third to the host's "/".
  if (!linux.find_namespace(spec::NamespaceType::Mount)) {
    if (!linux.masked_paths.empty())
      return fail("config.json: /linux/maskedPaths: needs a mount namespace (without one the "
                  "masks would be mounted in the host's mount namespace)");
    if (!linux.readonly_paths.empty())
      return fail("config.json: /linux/readonlyPaths: needs a mount namespace (without one the "
                  "paths would be remounted in the host's mount namespace)");
    // The runtime's mount namespace belongs to the runtime's user namespace:
    // from a user namespace of the container's, every mount there is EPERM.
    if (linux.find_namespace(spec::NamespaceType::User))
      return fail("config.json: /linux/namespaces: a user namespace needs a mount namespace too "
                  "(the runtime's belongs to another user namespace, where the container "
                  "could not mount its rootfs)");
    if (linux.rootfs_propagation)
      return fail("config.json: /linux/rootfsPropagation: needs a mount namespace (without one "
                  "it would change the propagation of the host's \"/\")");
  }
  // Intel RDT needs the resctrl filesystem; berth does not drive it yet, and
  // says which of the two is missing rather than dropping the field.
  if (linux.intel_rdt) {
    struct statfs fs {};
    if (::statfs("/sys/fs/resctrl", &fs) < 0 || fs.f_type != kResctrlMagic)
      return fail("config.json: /linux/intelRdt: resctrl is not mounted at /sys/fs/resctrl");
    return not_yet("/linux/intelRdt", "intelRdt");
  }
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
