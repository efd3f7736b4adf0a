// The resources create gives the container's cgroup (container/lifecycle.hpp
// effective_resources): linux.resources as it is, and for each node of
// linux.devices only the right to make it. Creating a node is no permission
// to use it: the device cgroup follows linux.resources.devices.
#include <criterion/criterion.h>

#include <string>

#include "container/lifecycle.hpp"

using berth::container::effective_resources;
using berth::spec::Device;
using berth::spec::DeviceCgroupRule;
using berth::spec::Linux;
using berth::spec::Resources;

namespace {

Device device(std::string type, std::string path, std::int64_t major, std::int64_t minor) {
  Device d;
  d.type = std::move(type);
  d.path = std::move(path);
  d.major = major;
  d.minor = minor;
  return d;
}

DeviceCgroupRule deny_all() {
  return DeviceCgroupRule{false, std::nullopt, std::nullopt, std::nullopt, std::string("rwm")};
}

bool is_mknod_only(const DeviceCgroupRule &rule, const char *type, std::int64_t major,
                   std::int64_t minor) {
  return rule.allow && rule.type == type && rule.major == major && rule.minor == minor &&
         rule.access == "m";
}

} // namespace

Test(effective_resources, linux_devices_get_mknod_and_nothing_more) {
  Linux linux;
  linux.resources = Resources{};
  linux.resources->devices = {deny_all()};
  linux.devices = {device("c", "/dev/bt-made-up", 42, 4242), device("b", "/dev/bt-loop", 7, 200),
                   device("u", "/dev/bt-u", 1, 8), device("p", "/dev/bt-fifo", 0, 0)};
  auto rules = effective_resources(linux).devices;
  cr_assert_eq(rules.size(), 4u, "%zu rules: deny all, then one per device but the fifo",
               rules.size());
  cr_assert(!rules[0].allow && !rules[0].type && !rules[0].major, "the config's rule moved");
  cr_assert(is_mknod_only(rules[1], "c", 42, 4242));
  cr_assert(is_mknod_only(rules[2], "b", 7, 200));
  cr_assert(is_mknod_only(rules[3], "c", 1, 8), "an unbuffered device is a char device");
}

// A config's explicit deny keeps its place after the mknod rules, whose access
// does not overlap the read and write it refuses.
Test(effective_resources, an_explicit_deny_is_not_undone) {
  Linux linux;
  linux.resources = Resources{};
  linux.resources->devices = {
      deny_all(),
      DeviceCgroupRule{true, std::string("c"), 42, 4242, std::string("rwm")},
      DeviceCgroupRule{false, std::string("c"), 42, 4242, std::string("rwm")},
  };
  linux.devices = {device("c", "/dev/bt-denied", 42, 4242)};
  auto rules = effective_resources(linux).devices;
  cr_assert_eq(rules.size(), 4u);
  cr_assert(!rules[2].allow && rules[2].access == "rwm");
  for (const auto &rule : rules)
    if (rule.allow && rule.major == 42 && &rule != &rules[1])
      cr_assert(rule.access == "m", "linux.devices granted %s", rule.access->c_str());
}

Test(effective_resources, no_linux_resources_and_no_devices_is_empty) {
  Linux linux;
  cr_assert(effective_resources(linux).devices.empty());
  linux.devices = {device("p", "/dev/bt-fifo", 0, 0)};
  cr_assert(effective_resources(linux).devices.empty(), "a fifo got a device rule");
}
