#include <criterion/criterion.h>

#include <string>
#include <vector>

#include "berth_config.h"
#include "spec/default_config.hpp"
#include "spec/parser.hpp"
#include "string_assert.hpp"
#include "json/value.hpp"

using namespace berth;

namespace {

spec::Config parsed(const spec::DefaultConfigOptions &options) {
  auto text = json::serialize_indented(spec::default_config(options));
  auto config = spec::parse_config(text);
  cr_assert(config.has_value(), "berth refuses its own default config: %s\n%s",
            config ? "" : config.error().message().c_str(), text.c_str());
  return std::move(*config);
}

std::vector<spec::NamespaceType> namespace_types(const spec::Config &config) {
  std::vector<spec::NamespaceType> types;
  for (const auto &ns : config.linux->namespaces)
    types.push_back(ns.type);
  return types;
}

bool has_ns(const spec::Config &config, spec::NamespaceType type) {
  return config.linux->find_namespace(type) != nullptr;
}

const spec::Mount *mount_at(const spec::Config &config, std::string_view destination) {
  for (const auto &m : config.mounts)
    if (m.destination == destination)
      return &m;
  return nullptr;
}

bool has_option(const spec::Mount &m, std::string_view option) {
  for (const auto &o : m.options)
    if (o == option)
      return true;
  return false;
}

} // namespace

Test(default_config, is_a_valid_config_with_runcs_defaults) {
  auto config = parsed({});
  BERTH_ASSERT_STR_EQ(config.oci_version, BERTH_OCI_SPEC_VERSION);
  cr_assert(config.process->terminal);
  cr_assert_eq(config.process->args.size(), 1);
  BERTH_ASSERT_STR_EQ(config.process->args[0], "sh");
  BERTH_ASSERT_STR_EQ(config.process->cwd, "/");
  BERTH_ASSERT_STR_EQ(config.hostname.value_or(""), "berth");
  cr_assert(config.process->no_new_privileges);
  BERTH_ASSERT_STR_EQ(config.root.path, "rootfs");
  cr_assert(config.root.readonly);
  cr_assert_eq(config.process->rlimits.size(), 1);
  BERTH_ASSERT_STR_EQ(config.process->rlimits[0].type, "RLIMIT_NOFILE");
  cr_assert_eq(config.process->rlimits[0].soft, 1024);
  cr_assert_eq(config.process->rlimits[0].hard, 1024);
  const auto &caps = *config.process->capabilities;
  std::vector<std::string> expected = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  cr_assert(caps.bounding == expected);
  cr_assert(caps.effective == expected);
  cr_assert(caps.permitted == expected);
  cr_assert(caps.inheritable.empty());
  cr_assert(caps.ambient.empty());
}

Test(default_config, namespaces_mounts_and_paths) {
  auto config = parsed({});
  using enum spec::NamespaceType;
  std::vector<spec::NamespaceType> expected = {Pid, Network, Ipc, Uts, Mount};
  cr_assert(namespace_types(config) == expected);
  for (std::string_view destination :
       {"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup"})
    cr_assert_not_null(mount_at(config, destination), "%s", std::string(destination).c_str());
  BERTH_ASSERT_STR_EQ(mount_at(config, "/sys")->type.value_or(""), "sysfs");
  cr_assert(has_option(*mount_at(config, "/dev/pts"), "gid=5"));
  cr_assert(!config.linux->masked_paths.empty());
  cr_assert(!config.linux->readonly_paths.empty());
  cr_assert(config.linux->resources.has_value());
  cr_assert_eq(config.linux->resources->devices.size(), 1);
  cr_assert(!config.linux->resources->devices[0].allow);
}

Test(default_config, cgroup_namespace_on_request) {
  auto config = parsed({.cgroup_namespace = true});
  cr_assert(has_ns(config, spec::NamespaceType::Cgroup));
  cr_assert(!has_ns(parsed({}), spec::NamespaceType::Cgroup));
}

Test(default_config, rootless) {
  auto config = parsed({.rootless = true, .host_uid = 1000, .host_gid = 1001});
  cr_assert(has_ns(config, spec::NamespaceType::User));
  cr_assert(!has_ns(config, spec::NamespaceType::Network));
  cr_assert(has_ns(config, spec::NamespaceType::Mount));
  cr_assert_eq(config.linux->uid_mappings.size(), 1);
  cr_assert_eq(config.linux->uid_mappings[0].container_id, 0);
  cr_assert_eq(config.linux->uid_mappings[0].host_id, 1000);
  cr_assert_eq(config.linux->uid_mappings[0].size, 1);
  cr_assert_eq(config.linux->gid_mappings.size(), 1);
  cr_assert_eq(config.linux->gid_mappings[0].host_id, 1001);
  const auto *sys = mount_at(config, "/sys");
  cr_assert_not_null(sys);
  BERTH_ASSERT_STR_EQ(sys->source.value_or(""), "/sys");
  cr_assert(has_option(*sys, "rbind"));
  cr_assert(has_option(*sys, "ro"));
  for (const auto &m : config.mounts)
    for (const auto &o : m.options)
      cr_assert(!o.starts_with("gid=") && !o.starts_with("uid="), "%s: %s", m.destination.c_str(),
                o.c_str());
  cr_assert(!config.linux->resources.has_value());
}
