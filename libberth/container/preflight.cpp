#include "container/preflight.hpp"

#include <sys/socket.h>
#include <sys/vfs.h>

#include "cgroup/systemd/systemd_dbus.hpp"
#include "container/lifecycle.hpp"
#include "container/rootless.hpp"
#include "linux/mount_options.hpp"
#include "linux/process_setup.hpp"
#include "linux/rootfs_plan.hpp"
#include "linux/terminal.hpp"
#include "lsm/apparmor.hpp"
#include "seccomp/cache.hpp"
#include "spec/parser.hpp"

namespace berth::container {
namespace {

constexpr decltype(statfs::f_type) kResctrlMagic = 0x7655821; // RDTGROUP_SUPER_MAGIC

std::unexpected<Error> not_yet(std::string_view pointer, std::string_view what) {
  return fail("config.json: " + std::string(pointer) + ": " + std::string(what) +
              " is not supported yet");
}

// linux.seccomp compiled now, with the rest of validation (SeccompSetup).
Result<SeccompSetup> prepare_seccomp(const spec::Config &config, const std::string &state_root) {
  SeccompSetup setup;
  if (!config.linux || !config.linux->seccomp)
    return setup;
  const auto &profile = *config.linux->seccomp;
  BERTH_TRY_ASSIGN(
      setup.program,
      seccomp::compile_cached(profile, state_root, seccomp::enosys_for_newer(config.annotations)));
  if (setup.program->uses_notify()) {
    BERTH_TRY_ASSIGN(setup.listener, seccomp::connect_listener(*profile.listener_path));
  }
  return setup;
}

// process.terminal's master goes to the console socket or a socketpair (ConsoleSetup).
Result<ConsoleSetup> prepare_console(const spec::Process &process, const CreateOptions &options) {
  ConsoleSetup setup;
  if (!process.terminal)
    return setup;
  if (!options.console_socket.empty()) {
    BERTH_TRY_ASSIGN(setup.init_end, linux::connect_console_socket(options.console_socket));
    return setup;
  }
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
    return fail_errno("create the terminal's socket pair");
  setup.init_end.reset(pair[0]);
  setup.caller_end.reset(pair[1]);
  return setup;
}

// --systemd-cgroup: cgroupsPath must then be "slice:prefix:name", and systemd
// must run to create the scope (once the init exists: see record_pid), checked
// here before any side effect.
Result<void> check_systemd_cgroup(const spec::Config &config, const std::string &id,
                                  bool rootless) {
  // A rootless container's scope would belong to the user's own systemd
  // (the session bus), which berth does not talk to.
  if (rootless)
    return fail("--systemd-cgroup: rootless containers would need systemd's user manager, which "
                "berth does not support yet");
  std::optional<std::string> path;
  if (config.linux)
    path = config.linux->cgroups_path;
  BERTH_TRY(cgroup::systemd::parse_systemd_cgroups_path(path, id));
  return cgroup::systemd::require_systemd();
}

} // namespace

Result<std::vector<std::string>> check_supported(const spec::Config &config) {
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

Result<CreatePlan> preflight(const GlobalOptions &global, const CreateOptions &options,
                             bool foreground) {
  BERTH_TRY(validate_id(options.id));
  BERTH_TRY_ASSIGN(std::string bundle, real_path(options.bundle, "bundle"));
  BERTH_TRY_ASSIGN(spec::Config config, spec::load_config(bundle));
  if (global.systemd_cgroup)
    BERTH_TRY(check_systemd_cgroup(config, options.id, global.rootless));
  BERTH_TRY_ASSIGN(auto warnings, check_supported(config));
  BERTH_TRY(check_terminal(*config.process, options, foreground));
  BERTH_TRY_CTX(linux::validate_sysctl(config), "config.json");
  BERTH_TRY_ASSIGN(std::string rootfs, resolve_rootfs(bundle, config.root));
  BERTH_TRY_ASSIGN(process::NamespacePlan namespaces, process::NamespacePlan::build(config));
  BERTH_TRY(check_user_namespace(namespaces));
  // The init plans the rootfs again where it performs it: planned here, what
  // config.json cannot mean fails before any side effect.
  linux::RootfsPlanOptions rootfs_options{options.no_pivot, !namespaces.creates(CLONE_NEWNS) &&
                                                                !namespaces.joins(CLONE_NEWNS)};
  BERTH_TRY_CTX(linux::plan_rootfs(config, rootfs_options), "config.json");
  BERTH_TRY_ASSIGN(SeccompSetup seccomp, prepare_seccomp(config, global.root));
  BERTH_TRY_ASSIGN(ConsoleSetup console, prepare_console(*config.process, options));
  BERTH_TRY_ASSIGN(cgroup::Manager cgroups,
                   global.systemd_cgroup ? cgroup::Manager::for_systemd_scope(config, options.id)
                                         : cgroup::Manager::for_container(config, options.id));
  return CreatePlan{std::move(bundle),     std::move(config),  std::move(rootfs),
                    std::move(namespaces), std::move(seccomp), std::move(console),
                    std::move(cgroups),    std::move(warnings)};
}

} // namespace berth::container
