// The linux object of config.json: namespaces, id mappings, time offsets,
// devices, network devices, paths, intelRdt, personality, memory policy.
#include <criterion/criterion.h>

#include <string>

#include "test_spec_helpers.hpp"

using namespace berth;
using spec_test::parse_ok;
using spec_test::with;

// The minimal config with `json_text` as its linux object.
static std::string linux_with(std::string_view json_text) {
  return with("/linux", json_text);
}

Test(spec_namespaces, types_and_paths) {
  expect_config_error(linux_with(R"({"namespaces": [{"type": "pid"}, {"type": "mount"},
                                                     {"type": "foo"}]})"),
                      "config.json: /linux/namespaces/2/type: unknown namespace type \"foo\"");
  expect_config_error(linux_with(R"({"namespaces": [{"path": "/proc/1/ns/net"}]})"),
                      "config.json: /linux/namespaces/0/type: required");
  expect_config_error(linux_with(R"({"namespaces": [{"type": 3}]})"),
                      "config.json: /linux/namespaces/0/type: expected a string, got a number");
  expect_config_error(linux_with(R"({"namespaces": {"type": "pid"}})"),
                      "config.json: /linux/namespaces: expected an array, got an object");
  expect_config_error(linux_with(R"({"namespaces": [{"type": "ipc"}, {"type": "pid"},
                                                     {"type": "ipc", "path": "/x"}]})"),
                      "config.json: /linux/namespaces/2/type: duplicate namespace type \"ipc\"");
  expect_config_error(linux_with(R"({"namespaces": [{"type": "network", "path": "run/netns/a"}]})"),
                      "config.json: /linux/namespaces/0/path: must be an absolute path, got "
                      "\"run/netns/a\"");
  // "" is how Go generators write "no path".
  spec::Config c = parse_ok(linux_with(R"({"namespaces": [{"type": "network", "path": ""}]})"));
  cr_assert(c.linux->namespaces[0].type == spec::NamespaceType::Network);
  cr_assert(!c.linux->namespaces[0].path.has_value());
}

Test(spec_namespaces, every_spec_type_is_known) {
  spec::Config c = parse_ok(linux_with(
      R"({"namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "mount"}, {"type": "ipc"},
                         {"type": "uts"}, {"type": "cgroup"}, {"type": "time"}]})"));
  cr_assert_eq(c.linux->namespaces.size(), 7u);
  cr_assert(c.linux->namespaces[5].type == spec::NamespaceType::Cgroup);
}

static constexpr std::string_view kMap = R"([{"containerID": 0, "hostID": 1000, "size": 10}])";

Test(spec_idmaps, mappings_need_a_user_namespace) {
  expect_config_error(linux_with(std::string(R"({"uidMappings": )") + std::string(kMap) + "}"),
                      "config.json: /linux/uidMappings: set without a user namespace in "
                      "/linux/namespaces");
  expect_config_error(linux_with(std::string(R"({"gidMappings": )") + std::string(kMap) + "}"),
                      "config.json: /linux/gidMappings: set without a user namespace in "
                      "/linux/namespaces");
}

Test(spec_idmaps, new_user_namespace_needs_both_mappings) {
  expect_config_error(linux_with(R"({"namespaces": [{"type": "user"}]})"),
                      "config.json: /linux/uidMappings: required with a new user namespace");
  expect_config_error(
      linux_with(std::string(R"({"namespaces": [{"type": "user"}], "uidMappings": )") +
                 std::string(kMap) + "}"),
      "config.json: /linux/gidMappings: required with a new user namespace");
  // A joined user namespace brings its own mappings.
  parse_ok(linux_with(R"({"namespaces": [{"type": "user", "path": "/proc/7/ns/user"}]})"));
}

Test(spec_idmaps, mapping_fields) {
  std::string base = R"({"namespaces": [{"type": "user"}], "gidMappings": )" + std::string(kMap);
  expect_config_error(linux_with(base + R"(, "uidMappings": [{"containerID": 0, "size": 1}]})"),
                      "config.json: /linux/uidMappings/0/hostID: required");
  expect_config_error(
      linux_with(base + R"(, "uidMappings": [{"containerID": 0, "hostID": -5, "size": 1}]})"),
      "config.json: /linux/uidMappings/0/hostID: expected an integer from 0 to 4294967295");
  spec::Config c = parse_ok(linux_with(
      base + R"(, "uidMappings": [{"containerID": 4294967295, "hostID": 0, "size": 1}]})"));
  cr_assert_eq(c.linux->uid_mappings[0].container_id, 4294967295u);
}

Test(spec_time, offsets_need_a_new_time_namespace) {
  expect_config_error(linux_with(R"({"timeOffsets": {"monotonic": {"secs": 1}}})"),
                      "config.json: /linux/timeOffsets: needs a new time namespace in "
                      "/linux/namespaces");
  expect_config_error(linux_with(R"({"namespaces": [{"type": "time", "path": "/proc/1/ns/time"}],
                                     "timeOffsets": {"monotonic": {"secs": 1}}})"),
                      "config.json: /linux/timeOffsets: needs a new time namespace in "
                      "/linux/namespaces");
}

Test(spec_time, offset_clocks_and_values) {
  std::string ns = R"({"namespaces": [{"type": "time"}], "timeOffsets": )";
  expect_config_error(linux_with(ns + R"({"realtime": {"secs": 1}}})"),
                      "config.json: /linux/timeOffsets/realtime: unknown clock \"realtime\" "
                      "(expected monotonic or boottime)");
  expect_config_error(linux_with(ns + R"({"boottime": {"nanosecs": 1000000000}}})"),
                      "config.json: /linux/timeOffsets/boottime/nanosecs: expected an integer "
                      "from 0 to 999999999");
  expect_config_error(linux_with(ns + R"({"boottime": {"secs": "1"}}})"),
                      "config.json: /linux/timeOffsets/boottime/secs: expected a number, got a "
                      "string");
  expect_config_error(linux_with(ns + R"({"boottime": 5}})"),
                      "config.json: /linux/timeOffsets/boottime: expected an object, got a number");
  expect_config_error(linux_with(ns + "[]}"),
                      "config.json: /linux/timeOffsets: expected an object, got an array");
  spec::Config c = parse_ok(linux_with(ns + R"({"boottime": {"secs": -9223372036854775808}}})"));
  cr_assert_eq(c.linux->time_offsets.at("boottime").secs, INT64_MIN);
}

Test(spec_devices, type_and_numbers) {
  expect_config_error(linux_with(R"({"devices": [{"type": "x", "path": "/dev/x"}]})"),
                      "config.json: /linux/devices/0/type: unknown device type \"x\" (expected "
                      "c, b, u or p)");
  expect_config_error(linux_with(R"({"devices": [{"path": "/dev/x"}]})"),
                      "config.json: /linux/devices/0/type: required");
  expect_config_error(linux_with(R"({"devices": [{"type": "c", "major": 1, "minor": 3}]})"),
                      "config.json: /linux/devices/0/path: required");
  expect_config_error(linux_with(R"({"devices": [{"type": "b", "path": "/dev/sda", "minor": 0}]})"),
                      "config.json: /linux/devices/0/major: required");
  expect_config_error(linux_with(R"({"devices": [{"type": "u", "path": "/dev/u", "major": 1}]})"),
                      "config.json: /linux/devices/0/minor: required");
  expect_config_error(
      linux_with(R"({"devices": [{"type": "c", "path": "/dev/x", "major": 1, "minor": 1.5}]})"),
      "config.json: /linux/devices/0/minor: expected an integer from -9223372036854775808 to "
      "9223372036854775807");
}

Test(spec_devices, path_mode_owner) {
  std::string dev = R"({"devices": [{"type": "c", "major": 1, "minor": 3, )";
  expect_config_error(linux_with(dev + R"("path": "dev/null"}]})"),
                      "config.json: /linux/devices/0/path: must be an absolute path, got "
                      "\"dev/null\"");
  expect_config_error(linux_with(dev + R"("path": "/dev/null", "fileMode": 4096}]})"),
                      "config.json: /linux/devices/0/fileMode: expected a mode from 0 to 07777, "
                      "got 010000");
  expect_config_error(linux_with(dev + R"("path": "/dev/null", "uid": -1}]})"),
                      "config.json: /linux/devices/0/uid: expected an integer from 0 to "
                      "4294967295");
  spec::Config c = parse_ok(linux_with(dev + R"("path": "/dev/null", "fileMode": 4095}]})"));
  cr_assert_eq(*c.linux->devices[0].file_mode, 07777u);
}

Test(spec_net_devices, names_and_namespace) {
  expect_config_error(linux_with(R"({"netDevices": {"eth0": {}}})"),
                      "config.json: /linux/netDevices: set without a network namespace in "
                      "/linux/namespaces");
  std::string ns = R"({"namespaces": [{"type": "network"}], "netDevices": )";
  expect_config_error(linux_with(ns + R"({"eth0": {"name": "a/b"}}})"),
                      "config.json: /linux/netDevices/eth0/name: invalid network interface name "
                      "\"a/b\"");
  expect_config_error(linux_with(ns + R"({"averyveryverylongname": {}}})"),
                      "config.json: /linux/netDevices/averyveryverylongname: invalid network "
                      "interface name \"averyveryverylongname\"");
  expect_config_error(linux_with(ns + R"({"eth0": {"name": 1}}})"),
                      "config.json: /linux/netDevices/eth0/name: expected a string, got a number");
  spec::Config c = parse_ok(linux_with(ns + R"({"eth0": {"name": "net%d"}}})"));
  cr_assert_str_eq(c.linux->net_devices.at("eth0").name->c_str(), "net%d");
}

Test(spec_linux_paths, masked_and_readonly_paths) {
  expect_config_error(linux_with(R"({"maskedPaths": ["/proc/kcore", "proc/keys"]})"),
                      "config.json: /linux/maskedPaths/1: must be an absolute path, got "
                      "\"proc/keys\"");
  expect_config_error(linux_with(R"({"readonlyPaths": ["sys"]})"),
                      "config.json: /linux/readonlyPaths/0: must be an absolute path, got \"sys\"");
  expect_config_error(linux_with(R"({"maskedPaths": "/proc"})"),
                      "config.json: /linux/maskedPaths: expected an array of strings, got a "
                      "string");
}

Test(spec_linux_misc, rootfs_propagation) {
  expect_config_error(linux_with(R"({"rootfsPropagation": "rbind"})"),
                      "config.json: /linux/rootfsPropagation: unknown propagation \"rbind\"");
  expect_config_error(linux_with(R"({"rootfsPropagation": "sharedd"})"),
                      "config.json: /linux/rootfsPropagation: unknown propagation \"sharedd\"");
  const char *good[] = {"private", "shared", "slave", "unbindable", "rprivate"};
  for (const char *p : good) {
    spec::Config c = parse_ok(linux_with(std::string(R"({"rootfsPropagation": ")") + p + "\"}"));
    cr_assert_str_eq(c.linux->rootfs_propagation->c_str(), p);
  }
  cr_assert(!parse_ok(linux_with(R"({"rootfsPropagation": ""})")).linux->rootfs_propagation);
}

Test(spec_linux_misc, sysctl_and_strings) {
  expect_config_error(linux_with(R"({"sysctl": {"net.ipv4.ip_forward": 1}})"),
                      "config.json: /linux/sysctl/net.ipv4.ip_forward: expected a string, got a "
                      "number");
  expect_config_error(linux_with(R"({"cgroupsPath": ["a"]})"),
                      "config.json: /linux/cgroupsPath: expected a string, got an array");
  expect_config_error(linux_with(R"({"mountLabel": false})"),
                      "config.json: /linux/mountLabel: expected a string, got a boolean");
  cr_assert(!parse_ok(linux_with(R"({"cgroupsPath": ""})")).linux->cgroups_path);
}

Test(spec_linux_misc, intel_rdt) {
  expect_config_error(linux_with(R"({"intelRdt": {"closID": "../escape"}})"),
                      "config.json: /linux/intelRdt/closID: must be a plain directory name, got "
                      "\"../escape\"");
  expect_config_error(linux_with(R"({"intelRdt": {"closID": ".."}})"),
                      "config.json: /linux/intelRdt/closID: must be a plain directory name, got "
                      "\"..\"");
  expect_config_error(linux_with(R"({"intelRdt": {"memBwSchema": "L3:0=1"}})"),
                      "config.json: /linux/intelRdt/memBwSchema: must be one line starting with "
                      "\"MB:\", got \"L3:0=1\"");
  expect_config_error(linux_with(R"({"intelRdt": {"memBwSchema": "MB:0=1\nMB:1=2"}})"),
                      "config.json: /linux/intelRdt/memBwSchema: must be one line starting with "
                      "\"MB:\", got \"MB:0=1\\x0aMB:1=2\"");
  expect_config_error(linux_with(R"({"intelRdt": {"enableMonitoring": "yes"}})"),
                      "config.json: /linux/intelRdt/enableMonitoring: expected a boolean, got a "
                      "string");
}

Test(spec_linux_misc, personality) {
  expect_config_error(linux_with(R"({"personality": {"domain": "LINUX64"}})"),
                      "config.json: /linux/personality/domain: unknown personality domain "
                      "\"LINUX64\" (expected LINUX or LINUX32)");
  expect_config_error(linux_with(R"({"personality": {"flags": []}})"),
                      "config.json: /linux/personality/domain: required");
  spec::Config c = parse_ok(linux_with(R"({"personality": {"domain": "LINUX32", "flags": []}})"));
  cr_assert_str_eq(c.linux->personality->domain.c_str(), "LINUX32");
  // The spec defines no flags yet: one given cannot be applied, so it is refused.
  expect_config_error(linux_with(R"({"personality": {"domain": "LINUX", "flags": ["X"]}})"),
                      "config.json: /linux/personality/flags/0: unknown personality flag \"X\"");
}

Test(spec_linux_misc, memory_policy) {
  expect_config_error(linux_with(R"({"memoryPolicy": {"nodes": "0"}})"),
                      "config.json: /linux/memoryPolicy/mode: required");
  expect_config_error(linux_with(R"({"memoryPolicy": {"mode": "MPOL_RANDOM"}})"),
                      "config.json: /linux/memoryPolicy/mode: unknown memory policy mode "
                      "\"MPOL_RANDOM\"");
  expect_config_error(
      linux_with(R"({"memoryPolicy": {"mode": "MPOL_LOCAL", "flags": ["MPOL_F_NOPE"]}})"),
      "config.json: /linux/memoryPolicy/flags/0: unknown memory policy flag \"MPOL_F_NOPE\"");
  expect_config_error(linux_with(R"({"memoryPolicy": {"mode": "MPOL_BIND", "nodes": "0,,1"}})"),
                      "config.json: /linux/memoryPolicy/nodes: expected a node list such as "
                      "\"0-1,3\", got \"0,,1\"");
  parse_ok(linux_with(R"({"memoryPolicy": {"mode": "MPOL_LOCAL", "nodes": ""}})"));
}
