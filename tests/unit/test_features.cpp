#include <criterion/criterion.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "berth_config.h"
#include "features/features.hpp"
#include "string_assert.hpp"
#include "tables/capabilities.hpp"
#include "tables/mount_options.hpp"
#include "tables/namespaces.hpp"
#include "tables/seccomp.hpp"
#include "json/value.hpp"

using namespace berth;

namespace {

const features::HostFacts kFacts{.seccomp_supported_flags = {"SECCOMP_FILTER_FLAG_LOG"}};

const json::Value &member(const json::Value &object, std::string_view path) {
  const json::Value *at = &object;
  while (!path.empty()) {
    auto dot = path.find('.');
    std::string key(path.substr(0, dot));
    cr_assert(at->is_object(), "%s: not an object", key.c_str());
    at = at->find(key);
    cr_assert_not_null(at, "missing %s", key.c_str());
    path = dot == std::string_view::npos ? "" : path.substr(dot + 1);
  }
  return *at;
}

std::vector<std::string> strings(const json::Value &array) {
  cr_assert(array.is_array());
  std::vector<std::string> out;
  for (const auto &item : array.items()) {
    cr_assert(item.is_string());
    out.push_back(item.text());
  }
  return out;
}

bool has(const std::vector<std::string> &list, std::string_view name) {
  return std::ranges::find(list, name) != list.end();
}

} // namespace

Test(features, versions) {
  auto doc = features::document(kFacts);
  BERTH_ASSERT_STR_EQ(member(doc, "ociVersionMin").text(), "1.0.0");
  BERTH_ASSERT_STR_EQ(member(doc, "ociVersionMax").text(), BERTH_OCI_SPEC_VERSION);
}

Test(features, every_hook_kind_of_the_spec) {
  auto hooks = strings(member(features::document(kFacts), "hooks"));
  std::set<std::string> got(hooks.begin(), hooks.end());
  std::set<std::string> spec = {"prestart",       "createRuntime", "createContainer",
                                "startContainer", "poststart",     "poststop"};
  cr_assert(got == spec);
  cr_assert_eq(hooks.size(), spec.size());
}

Test(features, mount_options_are_the_table) {
  auto options = strings(member(features::document(kFacts), "mountOptions"));
  cr_assert(has(options, "idmap"));
  cr_assert(has(options, "ridmap"));
  for (const auto &option : options)
    cr_assert_not_null(tables::find_mount_option(option), "%s is not in the table", option.c_str());
  for (const auto &row : tables::kMountOptions)
    cr_assert(has(options, row.name), "%s missing", std::string(row.name).c_str());
  for (std::string_view spec_example :
       {"ro", "rbind", "rprivate", "rro", "tmpcopyup", "nosymfollow"})
    cr_assert(has(options, spec_example), "%s missing", std::string(spec_example).c_str());
}

Test(features, namespaces_and_capabilities) {
  auto doc = features::document(kFacts);
  auto namespaces = strings(member(doc, "linux.namespaces"));
  cr_assert_eq(namespaces.size(), tables::kNamespaces.size());
  for (std::string_view ns : {"cgroup", "ipc", "mount", "network", "pid", "user", "uts", "time"})
    cr_assert(has(namespaces, ns), "%s missing", std::string(ns).c_str());
  auto caps = strings(member(doc, "linux.capabilities"));
  cr_assert_eq(caps.size(), tables::kCapabilities.size());
  cr_assert(has(caps, "CAP_SYS_ADMIN"));
  cr_assert(has(caps, "CAP_CHECKPOINT_RESTORE"));
}

Test(features, cgroup) {
  auto doc = features::document(kFacts);
  cr_assert(member(doc, "linux.cgroup.v1").as_bool());
  cr_assert(member(doc, "linux.cgroup.v2").as_bool());
  cr_assert(member(doc, "linux.cgroup.systemd").is_bool());
  cr_assert(member(doc, "linux.cgroup.systemd").as_bool());
  cr_assert(!member(doc, "linux.cgroup.systemdUser").as_bool());
  cr_assert(member(doc, "linux.cgroup.rdma").as_bool());
}

Test(features, seccomp) {
  auto doc = features::document(kFacts);
  cr_assert(member(doc, "linux.seccomp.enabled").as_bool());
  // config-linux.md's actions and operators, every one.
  auto actions = strings(member(doc, "linux.seccomp.actions"));
  std::set<std::string> expected_actions = {
      "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
      "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
      "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY"};
  cr_assert(std::set<std::string>(actions.begin(), actions.end()) == expected_actions);
  auto operators = strings(member(doc, "linux.seccomp.operators"));
  std::set<std::string> expected_operators = {"SCMP_CMP_NE",       "SCMP_CMP_LT", "SCMP_CMP_LE",
                                              "SCMP_CMP_EQ",       "SCMP_CMP_GE", "SCMP_CMP_GT",
                                              "SCMP_CMP_MASKED_EQ"};
  cr_assert(std::set<std::string>(operators.begin(), operators.end()) == expected_operators);
  // Only the architectures this libseccomp can build filters for.
  auto archs = strings(member(doc, "linux.seccomp.archs"));
  cr_assert(has(archs, "SCMP_ARCH_X86_64"));
  for (const auto &arch : tables::kSeccompArchitectures)
    cr_assert_eq(has(archs, arch.name), arch.available, "%s", std::string(arch.name).c_str());
  auto known = strings(member(doc, "linux.seccomp.knownFlags"));
  cr_assert_eq(known.size(), tables::kSeccompFlags.size());
  // supportedFlags is the host's answer, passed through.
  auto supported = strings(member(doc, "linux.seccomp.supportedFlags"));
  cr_assert_eq(supported.size(), 1);
  BERTH_ASSERT_STR_EQ(supported[0], "SECCOMP_FILTER_FLAG_LOG");
}

Test(features, runtime_support_not_host_availability) {
  auto doc = features::document(kFacts);
  // features-linux.md: "irrelevant to the availability of AppArmor on the host".
  cr_assert(member(doc, "linux.apparmor.enabled").as_bool());
  cr_assert(member(doc, "linux.selinux.enabled").as_bool());
  cr_assert(!member(doc, "linux.intelRdt.enabled").as_bool());
  cr_assert(member(doc, "linux.netDevices.enabled").as_bool());
  cr_assert_eq(strings(member(doc, "linux.memoryPolicy.modes")).size(), 7);
  cr_assert(has(strings(member(doc, "linux.memoryPolicy.modes")), "MPOL_WEIGHTED_INTERLEAVE"));
  cr_assert_eq(strings(member(doc, "linux.memoryPolicy.flags")).size(), 3);
  cr_assert(member(doc, "linux.mountExtensions.idmap.enabled").is_bool());
  cr_assert(member(doc, "linux.mountExtensions.idmap.enabled").as_bool());
}

Test(features, annotations) {
  auto doc = features::document(kFacts);
  BERTH_ASSERT_STR_EQ(member(doc, "annotations").find("io.github.berth.version")->text(),
                      BERTH_VERSION);
  cr_assert_not_null(member(doc, "annotations").find("io.github.seccomp.libseccomp.version"));
}

Test(features, only_spec_fields_at_the_top) {
  auto doc = features::document(kFacts);
  std::set<std::string> allowed = {"ociVersionMin", "ociVersionMax", "hooks",
                                   "mountOptions",  "linux",         "annotations"};
  for (const auto &[key, value] : doc.members())
    cr_assert(allowed.contains(key), "unexpected field %s", key.c_str());
}

Test(features, round_trips_through_json_text) {
  auto doc = features::document(kFacts);
  auto text = json::serialize_indented(doc);
  cr_assert(text.ends_with("}\n"));
  cr_assert(text.find("\"createRuntime\"") != std::string::npos, "%s", text.c_str());
  auto parsed = json::parse(text);
  cr_assert(parsed.has_value());
  BERTH_ASSERT_STR_EQ(json::serialize(*parsed), json::serialize(doc));
}

Test(features, kernel_flags_are_known_flags) {
  // Whatever this kernel says, the answer is a subset of the known flags, in
  // the table's order.
  auto supported = features::kernel_seccomp_flags();
  std::size_t next = 0;
  for (auto name : supported) {
    while (next < tables::kSeccompFlags.size() && tables::kSeccompFlags[next].name != name)
      ++next;
    cr_assert_lt(next, tables::kSeccompFlags.size(), "%s", std::string(name).c_str());
  }
}
