#include "features/features.hpp"

#include <seccomp.h>

#include <array>
#include <string>

#include "berth_config.h"
#include "tables/capabilities.hpp"
#include "tables/mount_options.hpp"
#include "tables/namespaces.hpp"
#include "tables/process_scheduling.hpp"
#include "tables/seccomp.hpp"

namespace berth::features {
namespace {

// The oldest ociVersion berth accepts in a config.json: validation only asks
// for a non-empty version, and berth reads every 1.0 config the same way, so
// the first release of the 1.x series is the honest lower bound.
constexpr std::string_view kOciVersionMin = "1.0.0";

json::Value string_array(const auto &names) {
  json::Value array = json::Value::array();
  for (std::string_view name : names)
    array.push_back(json::Value::string(std::string(name)));
  return array;
}

template <class Table, class Keep> json::Value names_of(const Table &table, Keep keep) {
  json::Value array = json::Value::array();
  for (const auto &row : table)
    if (keep(row))
      array.push_back(json::Value::string(std::string(row.name)));
  return array;
}

template <class Table> json::Value names_of(const Table &table) {
  return names_of(table, [](const auto &) { return true; });
}

json::Value enabled(bool on) {
  json::Value object = json::Value::object();
  object.set("enabled", json::Value::boolean(on));
  return object;
}

json::Value cgroup_features() {
  json::Value cgroup = json::Value::object();
  cgroup.set("v1", json::Value::boolean(true));
  cgroup.set("v2", json::Value::boolean(true));
  // --systemd-cgroup: a transient scope started over the system bus
  // (cgroup/systemd/systemd_scope.hpp). Not systemd --user: berth runs as root.
  cgroup.set("systemd", json::Value::boolean(true));
  cgroup.set("systemdUser", json::Value::boolean(false));
  // linux.resources.rdma is written to rdma.max on both versions.
  cgroup.set("rdma", json::Value::boolean(true));
  return cgroup;
}

json::Value seccomp_features(const HostFacts &facts) {
  json::Value seccomp = json::Value::object();
  seccomp.set("enabled", json::Value::boolean(true));
  seccomp.set("actions", names_of(tables::kSeccompActions));
  seccomp.set("operators", names_of(tables::kSeccompOperators));
  // An architecture this libseccomp predates is parsed but refused when the
  // filter is built, so it is not one berth supports.
  seccomp.set("archs",
              names_of(tables::kSeccompArchitectures,
                       [](const tables::SeccompArchInfo &arch) { return arch.available; }));
  seccomp.set("knownFlags", names_of(tables::kSeccompFlags));
  seccomp.set("supportedFlags", string_array(facts.seccomp_supported_flags));
  return seccomp;
}

json::Value linux_features(const HostFacts &facts) {
  json::Value linux = json::Value::object();
  linux.set("namespaces", names_of(tables::kNamespaces));
  linux.set("capabilities", names_of(tables::kCapabilities));
  linux.set("cgroup", cgroup_features());
  linux.set("seccomp", seccomp_features(facts));
  linux.set("apparmor", enabled(true));
  linux.set("selinux", enabled(true));
  // resctrl is not driven yet: linux.intelRdt is refused (container/preflight.cpp).
  linux.set("intelRdt", enabled(false));
  json::Value memory_policy = json::Value::object();
  memory_policy.set("modes", names_of(tables::kMemoryPolicyModes));
  memory_policy.set("flags", names_of(tables::kMemoryPolicyFlags));
  linux.set("memoryPolicy", std::move(memory_policy));
  linux.set("netDevices", enabled(true));
  // Idmapped bind mounts (mount_setattr MOUNT_ATTR_IDMAP, linux/idmapped_mount.hpp).
  json::Value extensions = json::Value::object();
  extensions.set("idmap", enabled(true));
  linux.set("mountExtensions", std::move(extensions));
  return linux;
}

json::Value annotations() {
  json::Value map = json::Value::object();
  map.set("io.github.berth.version", json::Value::string(BERTH_VERSION));
  // berth is linked statically, so the headers' version is the library's.
  map.set("io.github.seccomp.libseccomp.version",
          json::Value::string(std::to_string(SCMP_VER_MAJOR) + "." +
                              std::to_string(SCMP_VER_MINOR) + "." +
                              std::to_string(SCMP_VER_MICRO)));
  // A test build (-Dfault_injection=true) says so, for the tests that need it.
  if (BERTH_FAULT_INJECTION)
    map.set("io.github.berth.faultInjection", json::Value::string("true"));
  return map;
}

} // namespace

json::Value document(const HostFacts &facts) {
  json::Value doc = json::Value::object();
  doc.set("ociVersionMin", json::Value::string(std::string(kOciVersionMin)));
  doc.set("ociVersionMax", json::Value::string(BERTH_OCI_SPEC_VERSION));
  // The hooks berth runs (process/hooks.hpp): all of config.md's kinds.
  constexpr std::array<std::string_view, 6> kHooks = {
      "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"};
  doc.set("hooks", string_array(kHooks));
  doc.set("mountOptions", names_of(tables::kMountOptions));
  doc.set("linux", linux_features(facts));
  doc.set("annotations", annotations());
  return doc;
}

HostFacts probe_host() {
  return HostFacts{.seccomp_supported_flags = kernel_seccomp_flags()};
}

} // namespace berth::features
