// linux.resources, through config.json (pointers under /linux/resources) and
// through parse_resources (update --resources, pointers from the root).
#include <criterion/criterion.h>

#include <string>

#include "test_spec_helpers.hpp"

using namespace berth;
using spec_test::parse_ok;
using spec_test::with;

static std::string resources_with(std::string_view json_text) {
  return with("/linux/resources", json_text);
}

static std::string update_error(std::string_view text) {
  auto resources = spec::parse_resources(text, "update");
  return resources ? std::string("(no error)") : resources.error().message();
}

Test(spec_resources, device_rules) {
  expect_config_error(resources_with(R"({"devices": [{"access": "rwm"}]})"),
                      "config.json: /linux/resources/devices/0/allow: required");
  expect_config_error(resources_with(R"({"devices": [{"allow": "true"}]})"),
                      "config.json: /linux/resources/devices/0/allow: expected a boolean, got a "
                      "string");
  expect_config_error(resources_with(R"({"devices": [{"allow": true, "type": "p"}]})"),
                      "config.json: /linux/resources/devices/0/type: unknown device type \"p\" "
                      "(expected a, c or b)");
  expect_config_error(
      resources_with(R"({"devices": [{"allow": false}, {"allow": true, "access": "rwx"}]})"),
      "config.json: /linux/resources/devices/1/access: expected some of \"rwm\", got \"rwx\"");
  spec::Config c = parse_ok(resources_with(
      R"({"devices": [{"allow": true, "type": "a", "access": "m"},
                      {"allow": true, "type": "b", "major": -1, "access": "wr"}]})"));
  cr_assert_eq(*c.linux->resources->devices[1].major, -1);
}

Test(spec_resources, memory_and_cpu_types) {
  expect_config_error(resources_with(R"({"memory": {"limit": "1G"}})"),
                      "config.json: /linux/resources/memory/limit: expected a number, got a "
                      "string");
  expect_config_error(resources_with(R"({"memory": {"swappiness": -1}})"),
                      "config.json: /linux/resources/memory/swappiness: expected an integer from "
                      "0 to 18446744073709551615");
  expect_config_error(resources_with(R"({"memory": {"disableOOMKiller": 0}})"),
                      "config.json: /linux/resources/memory/disableOOMKiller: expected a boolean, "
                      "got a number");
  expect_config_error(resources_with(R"({"cpu": {"quota": 9223372036854775808}})"),
                      "config.json: /linux/resources/cpu/quota: expected an integer from "
                      "-9223372036854775808 to 9223372036854775807");
  expect_config_error(resources_with(R"({"cpu": {"cpus": 3}})"),
                      "config.json: /linux/resources/cpu/cpus: expected a string, got a number");
  spec::Config c = parse_ok(resources_with(R"({"memory": {"limit": 9223372036854775807},
                                               "cpu": {"shares": 18446744073709551615}})"));
  cr_assert_eq(*c.linux->resources->memory->limit, INT64_MAX);
  cr_assert_eq(*c.linux->resources->cpu->shares, UINT64_MAX);
}

Test(spec_resources, pids_needs_a_limit) {
  expect_config_error(resources_with(R"({"pids": {}})"),
                      "config.json: /linux/resources/pids/limit: required");
  expect_config_error(resources_with(R"({"pids": 5})"),
                      "config.json: /linux/resources/pids: expected an object, got a number");
  cr_assert_eq(*parse_ok(resources_with(R"({"pids": {"limit": -1}})")).linux->resources->pids_limit,
               -1);
}

Test(spec_resources, block_io_weights) {
  expect_config_error(resources_with(R"({"blockIO": {"weight": 9}})"),
                      "config.json: /linux/resources/blockIO/weight: expected an integer from 10 "
                      "to 1000");
  expect_config_error(resources_with(R"({"blockIO": {"leafWeight": 1001}})"),
                      "config.json: /linux/resources/blockIO/leafWeight: expected an integer "
                      "from 10 to 1000");
  expect_config_error(resources_with(R"({"blockIO": {"weight": 65536}})"),
                      "config.json: /linux/resources/blockIO/weight: expected an integer from 0 "
                      "to 65535");
  expect_config_error(
      resources_with(R"({"blockIO": {"weightDevice": [{"major": 8, "minor": 0}]}})"),
      "config.json: /linux/resources/blockIO/weightDevice/0: needs weight or leafWeight");
  expect_config_error(
      resources_with(R"({"blockIO": {"weightDevice": [{"major": 8, "minor": 0, "weight": 5}]}})"),
      "config.json: /linux/resources/blockIO/weightDevice/0/weight: expected an integer from 10 "
      "to 1000");
  expect_config_error(
      resources_with(R"({"blockIO": {"weightDevice": [{"minor": 0, "weight": 500}]}})"),
      "config.json: /linux/resources/blockIO/weightDevice/0/major: required");
  expect_config_error(
      resources_with(R"({"blockIO": {"throttleReadBpsDevice": [{"major": 8, "minor": 0}]}})"),
      "config.json: /linux/resources/blockIO/throttleReadBpsDevice/0/rate: required");
  spec::Config c = parse_ok(resources_with(R"({"blockIO": {"weight": 1000, "leafWeight": 10}})"));
  cr_assert_eq(*c.linux->resources->block_io->weight, 1000);
}

// Docker's config: 0 for every limit it does not set. runc reads them as not
// set; so does berth, in config.json as in update's document.
Test(spec_resources, zero_limits_are_not_set) {
  spec::Config c = parse_ok(resources_with(
      R"({"memory": {"limit": 0, "reservation": 0, "swap": 0, "kernel": 0, "kernelTCP": 0,
                     "swappiness": 0},
          "cpu": {"shares": 0, "quota": 0, "period": 0, "realtimeRuntime": 0,
                  "realtimePeriod": 0, "burst": 0, "idle": 0},
          "pids": {"limit": 0},
          "blockIO": {"weight": 0, "leafWeight": 0}})"));
  const spec::Resources &r = *c.linux->resources;
  cr_assert(!r.memory->limit && !r.memory->reservation && !r.memory->swap && !r.memory->kernel &&
            !r.memory->kernel_tcp);
  cr_assert(!r.cpu->shares && !r.cpu->quota && !r.cpu->period && !r.cpu->realtime_runtime &&
            !r.cpu->realtime_period);
  cr_assert(!r.pids_limit);
  cr_assert(!r.block_io->weight && !r.block_io->leaf_weight);
  // runc takes these as values.
  cr_assert_eq(*r.memory->swappiness, 0u);
  cr_assert_eq(*r.cpu->burst, 0u);
  cr_assert_eq(*r.cpu->idle, 0);
  auto update = spec::parse_resources(R"({"blockIO": {"weight": 0}, "cpu": {"shares": 0}})", "-");
  cr_assert(update.has_value(), "%s", update ? "" : update.error().message().c_str());
  cr_assert(!update->block_io->weight && !update->cpu->shares);
}

Test(spec_resources, hugepages) {
  expect_config_error(resources_with(R"({"hugepageLimits": [{"limit": 1}]})"),
                      "config.json: /linux/resources/hugepageLimits/0/pageSize: required");
  expect_config_error(resources_with(R"({"hugepageLimits": [{"pageSize": "2MB"}]})"),
                      "config.json: /linux/resources/hugepageLimits/0/limit: required");
  const char *bad[] = {"2M", "../x", "MB", "2XB", "", "B"};
  for (const char *size : bad) {
    std::string expected =
        std::string("config.json: /linux/resources/hugepageLimits/0/pageSize: expected a size "
                    "such as \"2MB\", got \"") +
        size + "\"";
    expect_config_error(resources_with(std::string(R"({"hugepageLimits": [{"pageSize": ")") + size +
                                       R"(", "limit": 1}]})"),
                        expected.c_str());
  }
  spec::Config c = parse_ok(resources_with(R"({"hugepageLimits": [{"pageSize": "1GB", "limit": 1},
                                                                  {"pageSize": "64KB", "limit": 2}]})"));
  cr_assert_str_eq(c.linux->resources->hugepage_limits[0].page_size.c_str(), "1GB");
}

Test(spec_resources, network_rdma_unified) {
  expect_config_error(resources_with(R"({"network": {"priorities": [{"name": "eth0"}]}})"),
                      "config.json: /linux/resources/network/priorities/0/priority: required");
  expect_config_error(resources_with(R"({"network": {"classID": -1}})"),
                      "config.json: /linux/resources/network/classID: expected an integer from 0 "
                      "to 4294967295");
  expect_config_error(resources_with(R"({"rdma": {"mlx4_0": {}}})"),
                      "config.json: /linux/resources/rdma/mlx4_0: needs hcaHandles or hcaObjects");
  expect_config_error(resources_with(R"({"rdma": {"mlx4_0": {"hcaHandles": "1"}}})"),
                      "config.json: /linux/resources/rdma/mlx4_0/hcaHandles: expected a number, "
                      "got a string");
  expect_config_error(resources_with(R"({"unified": {"../../cgroup.procs": "1"}})"),
                      "config.json: /linux/resources/unified/..~1..~1cgroup.procs: must be a file "
                      "name in the cgroup directory, got \"../../cgroup.procs\"");
  expect_config_error(resources_with(R"({"unified": {"memory.max": 1}})"),
                      "config.json: /linux/resources/unified/memory.max: expected a string, got a "
                      "number");
}

Test(spec_resources, update_document_pointers_start_at_the_root) {
  std::string error = update_error(R"({"devices": [{"allow": true, "access": "x"}]})");
  cr_assert_str_eq(error.c_str(), "update: /devices/0/access: expected some of \"rwm\", got \"x\"");
  error = update_error(R"({"memory": {"limit": true}})");
  cr_assert_str_eq(error.c_str(), "update: /memory/limit: expected a number, got a boolean");
  error = update_error("[]");
  cr_assert_str_eq(error.c_str(), "update: expected an object, got an array");
  error = update_error("{}");
  cr_assert_str_eq(error.c_str(), "(no error)");
  error = update_error(R"({"unknownController": {"x": 1}})");
  cr_assert_str_eq(error.c_str(), "(no error)");
}
