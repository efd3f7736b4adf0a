// Validation of the top level of config.json: what the spec requires beyond
// JSON types, before anything touches the kernel.
#include "spec/sections.hpp"
#include "tables/mount_options.hpp"

namespace berth::spec::detail {
namespace {

// "idmap" or "ridmap" among a mount's options.
const std::string *idmap_option(const Mount &mount) {
  for (const auto &option : mount.options) {
    const auto *info = tables::find_mount_option(option);
    if (info && info->kind == tables::MountOptionKind::Idmap)
      return &option;
  }
  return nullptr;
}

Result<void> validate_mounts(const Config &config) {
  const bool user_namespace =
      config.linux && config.linux->find_namespace(NamespaceType::User) != nullptr;
  for (std::size_t i = 0; i < config.mounts.size(); ++i) {
    const Mount &mount = config.mounts[i];
    std::string pointer = at("/mounts", i);
    // An idmapped mount needs both directions (config.md, POSIX mounts).
    if (!mount.uid_mappings.empty() && mount.gid_mappings.empty())
      return fail_at(at(pointer, "gidMappings"), "required with uidMappings");
    if (mount.uid_mappings.empty() && !mount.gid_mappings.empty())
      return fail_at(at(pointer, "uidMappings"), "required with gidMappings");
    // Without mappings of its own, "idmap"/"ridmap" takes the container's user
    // namespace's; with neither, the spec wants an error.
    const std::string *idmap = idmap_option(mount);
    if (idmap && mount.uid_mappings.empty() && !user_namespace)
      return fail_at(at(pointer, "options"),
                     quote(*idmap) + " needs uidMappings and gidMappings or a user namespace in "
                                     "/linux/namespaces");
  }
  return {};
}

Result<void> validate_hook_list(const std::vector<Hook> &hooks, std::string_view pointer) {
  for (std::size_t i = 0; i < hooks.size(); ++i) {
    std::string entry = at(pointer, i);
    BERTH_TRY(expect_absolute(at(entry, "path"), hooks[i].path));
    if (hooks[i].timeout && *hooks[i].timeout <= 0)
      return fail_at(at(entry, "timeout"),
                     "must be greater than zero, got " + std::to_string(*hooks[i].timeout));
  }
  return {};
}

Result<void> validate_hooks(const Hooks &hooks) {
  BERTH_TRY(validate_hook_list(hooks.prestart, "/hooks/prestart"));
  BERTH_TRY(validate_hook_list(hooks.create_runtime, "/hooks/createRuntime"));
  BERTH_TRY(validate_hook_list(hooks.create_container, "/hooks/createContainer"));
  BERTH_TRY(validate_hook_list(hooks.start_container, "/hooks/startContainer"));
  BERTH_TRY(validate_hook_list(hooks.poststart, "/hooks/poststart"));
  BERTH_TRY(validate_hook_list(hooks.poststop, "/hooks/poststop"));
  return {};
}

// The hostname and domainname live in a UTS namespace; without one in the
// config they would be set on the host's. Joining an existing one (a pod's)
// is fine, as with runc.
Result<void> validate_uts_names(const Config &config) {
  // sethostname(2) and setdomainname(2) take at most 64 bytes: refused here,
  // with the field's name, rather than by the init halfway through setup.
  constexpr std::size_t kMaxUtsName = 64;
  if (config.hostname && config.hostname->size() > kMaxUtsName)
    return fail_at("/hostname", "longer than 64 bytes");
  if (config.domainname && config.domainname->size() > kMaxUtsName)
    return fail_at("/domainname", "longer than 64 bytes");
  bool has_uts = config.linux && config.linux->find_namespace(NamespaceType::Uts);
  if (has_uts)
    return {};
  if (config.hostname)
    return fail_at("/hostname", "set without a uts namespace in /linux/namespaces");
  if (config.domainname)
    return fail_at("/domainname", "set without a uts namespace in /linux/namespaces");
  return {};
}

} // namespace

Result<void> validate_config(const Config &config) {
  if (config.oci_version.empty())
    return fail_at("/ociVersion", "must not be empty");
  if (config.root.path.empty())
    return fail_at("/root/path", "must not be empty");
  BERTH_TRY(validate_mounts(config));
  // The spec makes process optional until start; berth creates the init
  // process at create, so it needs it from the start.
  if (!config.process)
    return fail_at("/process", "required");
  BERTH_TRY(validate_process(*config.process, "/process"));
  BERTH_TRY(validate_uts_names(config));
  if (config.hooks)
    BERTH_TRY(validate_hooks(*config.hooks));
  if (config.annotations.contains(""))
    return fail_at("/annotations", "keys must not be empty");
  if (config.linux)
    BERTH_TRY(validate_linux(*config.linux, "/linux"));
  return {};
}

} // namespace berth::spec::detail
