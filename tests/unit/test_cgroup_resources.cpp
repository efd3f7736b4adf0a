// linux.resources -> cgroup file writes (cgroup/resources.hpp): the file, the
// value and the order of every write, on v2, v1 and a hybrid host.
#include <criterion/criterion.h>

#include <string>
#include <string_view>

#include "cgroup/resources.hpp"
#include "spec/parser.hpp"
#include "string_assert.hpp"

using namespace berth;
using cgroup::FileWrite;
using cgroup::Version;

namespace {

spec::Resources resources(std::string_view json_text) {
  auto parsed = spec::parse_resources(json_text, "test");
  cr_assert(parsed.has_value(), "test resources do not parse: %s",
            parsed ? "" : parsed.error().message().c_str());
  return std::move(*parsed);
}

// One line per write: "file=value", with " (or FALLBACK)" and " (optional)"
// when set, and "[controller] " in front when the controller is not the
// file's own prefix (which is where the manager sends it).
std::string describe(const std::vector<FileWrite> &writes) {
  std::string text;
  for (const auto &write : writes) {
    if (write.file.substr(0, write.file.find('.')) != write.controller)
      text += "[" + write.controller + "] ";
    text += write.file + "=" + write.value;
    if (!write.fallback_file.empty())
      text += " (or " + write.fallback_file + ")";
    if (write.optional)
      text += " (optional)";
    text += "\n";
  }
  return text;
}

cgroup::ControllerVersion all(Version version) {
  return [version](std::string_view) { return version; };
}

cgroup::ResourcePlan plan(std::string_view json_text, Version version) {
  auto planned = cgroup::plan_resources(resources(json_text), all(version));
  cr_assert(planned.has_value(), "unexpected error: %s",
            planned ? "" : planned.error().message().c_str());
  return std::move(*planned);
}

std::string v2(std::string_view json_text) {
  return describe(plan(json_text, Version::V2).writes);
}
std::string v1(std::string_view json_text) {
  return describe(plan(json_text, Version::V1).writes);
}

std::string error_of(const spec::Resources &given, const cgroup::ControllerVersion &version_of,
                     std::string_view pointer = "/linux/resources") {
  auto planned = cgroup::plan_resources(given, version_of, pointer);
  return planned ? std::string("(no error)") : planned.error().message();
}
std::string v2_error(std::string_view json_text) {
  return error_of(resources(json_text), all(Version::V2));
}
std::string v1_error(std::string_view json_text) {
  return error_of(resources(json_text), all(Version::V1));
}

std::string lines(const std::vector<std::string> &items) {
  std::string text;
  for (const auto &item : items)
    text += item + "\n";
  return text;
}

} // namespace

Test(cgroup_conversions, cpu_shares_to_weight_keeps_the_ends) {
  cr_assert_eq(cgroup::cpu_shares_to_weight(2), 1u);
  cr_assert_eq(cgroup::cpu_shares_to_weight(1024), 39u);
  cr_assert_eq(cgroup::cpu_shares_to_weight(262144), 10000u);
  // Outside the v1 range: clamped as the kernel clamps cpu.shares.
  cr_assert_eq(cgroup::cpu_shares_to_weight(0), 1u);
  cr_assert_eq(cgroup::cpu_shares_to_weight(1), 1u);
  cr_assert_eq(cgroup::cpu_shares_to_weight(1u << 30), 10000u);
}

Test(cgroup_conversions, blkio_weight_to_io_weight_keeps_the_ends) {
  cr_assert_eq(cgroup::blkio_weight_to_io_weight(10), 1u);
  cr_assert_eq(cgroup::blkio_weight_to_io_weight(500), 4950u); // 1 + 490 * 9999 / 990
  cr_assert_eq(cgroup::blkio_weight_to_io_weight(1000), 10000u);
  cr_assert_eq(cgroup::blkio_weight_to_io_weight(5), 1u);
  cr_assert_eq(cgroup::blkio_weight_to_io_weight(65535), 10000u);
}

Test(cgroup_resources_v2, memory_limits_and_swap_as_the_difference) {
  BERTH_ASSERT_STR_EQ(v2(R"({"memory": {"limit": 536870912, "reservation": 268435456,
                                        "swap": 1073741824}})"),
                      "memory.max=536870912\n"
                      "memory.swap.max=536870912 (optional)\n"
                      "memory.low=268435456\n");
  // swap == limit: no swap at all.
  BERTH_ASSERT_STR_EQ(v2(R"({"memory": {"limit": 1000, "swap": 1000}})"),
                      "memory.max=1000\nmemory.swap.max=0 (optional)\n");
  BERTH_ASSERT_STR_EQ(v2(R"({"memory": {"limit": -1, "reservation": -1, "swap": -1}})"),
                      "memory.max=max\nmemory.swap.max=max (optional)\nmemory.low=max\n");
  // An unlimited memory+swap needs no memory limit.
  BERTH_ASSERT_STR_EQ(v2(R"({"memory": {"swap": -1}})"), "memory.swap.max=max (optional)\n");
  // 0 is no limit set, as for runc (Docker writes it for every container).
  BERTH_ASSERT_STR_EQ(v2(R"({"memory": {"limit": 0}})"), "");
}

Test(cgroup_resources_v2, swap_below_the_limit_or_without_one_is_an_error) {
  BERTH_ASSERT_STR_EQ(v2_error(R"({"memory": {"limit": 200, "swap": 100}})"),
                      "/linux/resources/memory/swap: memory+swap (100) is less than the memory "
                      "limit (200)");
  BERTH_ASSERT_STR_EQ(v2_error(R"({"memory": {"swap": 100}})"),
                      "/linux/resources/memory/swap: a memory+swap limit needs a memory limit on "
                      "cgroup v2, which limits swap alone");
  BERTH_ASSERT_STR_EQ(v2_error(R"({"memory": {"limit": -1, "swap": 100}})"),
                      "/linux/resources/memory/swap: a memory+swap limit needs a memory limit on "
                      "cgroup v2, which limits swap alone");
  BERTH_ASSERT_STR_EQ(v2_error(R"({"memory": {"limit": -2}})"),
                      "/linux/resources/memory/limit: expected -1 (unlimited) or a number of "
                      "bytes, got -2");
}

Test(cgroup_resources_v2, memory_settings_v2_cannot_express_are_ignored_with_a_reason) {
  auto planned = plan(R"({"memory": {"disableOOMKiller": true, "swappiness": 0, "kernel": 1024,
                                     "kernelTCP": 1024, "useHierarchy": false}})",
                      Version::V2);
  BERTH_ASSERT_STR_EQ(describe(planned.writes), "");
  BERTH_ASSERT_STR_EQ(
      lines(planned.ignored),
      "/linux/resources/memory/disableOOMKiller: cgroup v2 cannot disable the OOM killer (there "
      "is no memory.oom_control)\n"
      "/linux/resources/memory/swappiness: cgroup v2 has no per-cgroup swappiness\n"
      "/linux/resources/memory/kernel: deprecated; cgroup v2 accounts kernel memory within "
      "memory.max\n"
      "/linux/resources/memory/kernelTCP: deprecated; cgroup v2 accounts socket memory within "
      "memory.max\n"
      "/linux/resources/memory/useHierarchy: cgroup v2 accounting is always hierarchical\n");
  // What v2 does anyway is nothing to warn about.
  auto quiet =
      plan(R"({"memory": {"disableOOMKiller": false, "useHierarchy": true}})", Version::V2);
  cr_assert(quiet.writes.empty() && quiet.ignored.empty());
}

Test(cgroup_resources_v2, cpu_in_write_order) {
  BERTH_ASSERT_STR_EQ(v2(R"({"cpu": {"shares": 1024, "quota": 50000, "period": 100000,
                                     "burst": 10000, "cpus": "0-1", "mems": "0", "idle": 0}})"),
                      "cpu.idle=0\n"
                      "cpu.weight=39\n"
                      "cpu.max.burst=0\n"
                      "cpu.max=50000 100000\n"
                      "cpu.max.burst=10000\n"
                      "cpuset.cpus=0-1\n"
                      "cpuset.mems=0\n");
  // An idle group refuses a weight: idle goes last when it is being set.
  BERTH_ASSERT_STR_EQ(v2(R"({"cpu": {"shares": 2, "idle": 1}})"), "cpu.weight=1\ncpu.idle=1\n");
  BERTH_ASSERT_STR_EQ(v2(R"({"cpu": {"shares": 262144}})"), "cpu.weight=10000\n");
  BERTH_ASSERT_STR_EQ(v2(R"({"cpu": {"burst": 5000}})"), "cpu.max.burst=5000\n");
  BERTH_ASSERT_STR_EQ(v2(R"({"cpu": {"cpus": "", "mems": ""}})"), "");
}

Test(cgroup_resources_v2, cpu_max_quota_and_period) {
  BERTH_ASSERT_STR_EQ(v2(R"({"cpu": {"quota": -1, "period": 100000}})"), "cpu.max=max 100000\n");
  BERTH_ASSERT_STR_EQ(v2(R"({"cpu": {"period": 250000}})"), "cpu.max=max 250000\n");
  // Without a period the kernel keeps the one it has.
  BERTH_ASSERT_STR_EQ(v2(R"({"cpu": {"quota": 20000}})"), "cpu.max=20000\n");
  BERTH_ASSERT_STR_EQ(v2(R"({"cpu": {"quota": -1}})"), "cpu.max=max\n");
}

Test(cgroup_resources_v2, realtime_cpu_is_an_error_unless_zero) {
  BERTH_ASSERT_STR_EQ(v2_error(R"({"cpu": {"realtimeRuntime": 950000}})"),
                      "/linux/resources/cpu/realtimeRuntime: cgroup v2 has no realtime CPU "
                      "bandwidth (cpu.rt_runtime_us is cgroup v1 only)");
  BERTH_ASSERT_STR_EQ(v2_error(R"({"cpu": {"realtimePeriod": 1000000}})"),
                      "/linux/resources/cpu/realtimePeriod: cgroup v2 has no realtime CPU "
                      "bandwidth (cpu.rt_period_us is cgroup v1 only)");
  BERTH_ASSERT_STR_EQ(v2(R"({"cpu": {"realtimeRuntime": 0, "realtimePeriod": 0}})"), "");
}

Test(cgroup_resources, burst_above_the_quota_is_an_error) {
  const char *config = R"({"cpu": {"quota": 10000, "burst": 20000}})";
  const char *message = "/linux/resources/cpu/burst: 20000 is larger than the quota (10000)";
  BERTH_ASSERT_STR_EQ(v2_error(config), message);
  BERTH_ASSERT_STR_EQ(v1_error(config), message);
  // No positive quota: nothing to exceed.
  BERTH_ASSERT_STR_EQ(v2(R"({"cpu": {"quota": -1, "burst": 20000}})"),
                      "cpu.max.burst=0\ncpu.max=max\ncpu.max.burst=20000\n");
}

Test(cgroup_resources, pids_limit_negative_is_max_and_zero_is_not_set) {
  BERTH_ASSERT_STR_EQ(v2(R"({"pids": {"limit": 100}})"), "pids.max=100\n");
  BERTH_ASSERT_STR_EQ(v2(R"({"pids": {"limit": -1}})"), "pids.max=max\n");
  BERTH_ASSERT_STR_EQ(v2(R"({"pids": {"limit": 0}})"), "");
  BERTH_ASSERT_STR_EQ(v1(R"({"pids": {"limit": 0}})"), "");
  BERTH_ASSERT_STR_EQ(v1(R"({"pids": {"limit": 32771}})"), "pids.max=32771\n");
  BERTH_ASSERT_STR_EQ(v1(R"({"pids": {"limit": -1}})"), "pids.max=max\n");
}

Test(cgroup_resources_v2, block_io_weights_and_io_max) {
  auto planned = plan(R"({"blockIO": {
      "weight": 500, "leafWeight": 300,
      "weightDevice": [{"major": 8, "minor": 0, "weight": 1000, "leafWeight": 10},
                       {"major": 8, "minor": 16, "leafWeight": 20}],
      "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 600}],
      "throttleWriteBpsDevice": [{"major": 8, "minor": 16, "rate": 0}],
      "throttleReadIOPSDevice": [{"major": 259, "minor": 1, "rate": 100},
                                 {"major": 8, "minor": 0, "rate": 200}],
      "throttleWriteIOPSDevice": [{"major": 8, "minor": 16, "rate": 300}]}})",
                      Version::V2);
  BERTH_ASSERT_STR_EQ(describe(planned.writes), "io.weight=default 4950\n"
                                                "io.bfq.weight=default 500 (optional)\n"
                                                "io.weight=8:0 10000\n"
                                                "io.bfq.weight=8:0 1000 (optional)\n"
                                                "io.max=8:0 rbps=600\n"
                                                "io.max=8:16 wbps=max\n"
                                                "io.max=259:1 riops=100\n"
                                                "io.max=8:0 riops=200\n"
                                                "io.max=8:16 wiops=300\n");
  BERTH_ASSERT_STR_EQ(lines(planned.ignored),
                      "/linux/resources/blockIO/leafWeight: cgroup v2 has no leaf weight\n"
                      "/linux/resources/blockIO/weightDevice/0/leafWeight: cgroup v2 has no leaf "
                      "weight\n"
                      "/linux/resources/blockIO/weightDevice/1/leafWeight: cgroup v2 has no leaf "
                      "weight\n");
  BERTH_ASSERT_STR_EQ(v2(R"({"blockIO": {"weight": 10}})"),
                      "io.weight=default 1\nio.bfq.weight=default 10 (optional)\n");
  BERTH_ASSERT_STR_EQ(v2(R"({"blockIO": {"weight": 1000}})"),
                      "io.weight=default 10000\nio.bfq.weight=default 1000 (optional)\n");
}

Test(cgroup_resources_v2, hugetlb_and_rdma) {
  BERTH_ASSERT_STR_EQ(v2(R"({"hugepageLimits": [{"pageSize": "2MB", "limit": 209715200},
                                                {"pageSize": "1GB", "limit": 0}]})"),
                      "hugetlb.2MB.max=209715200\n"
                      "hugetlb.2MB.rsvd.max=209715200 (optional)\n"
                      "hugetlb.1GB.max=0\n"
                      "hugetlb.1GB.rsvd.max=0 (optional)\n");
  BERTH_ASSERT_STR_EQ(v2(R"({"rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000},
                                      "rxe3": {"hcaObjects": 10000}}})"),
                      "rdma.max=mlx5_1 hca_handle=3 hca_object=10000\n"
                      "rdma.max=rxe3 hca_object=10000\n");
}

Test(cgroup_resources_v2, network_is_an_error) {
  const char *message = "/linux/resources/network: not supported on cgroup v2, and no cgroup v1 "
                        "hierarchy on this host has the net_cls controller";
  BERTH_ASSERT_STR_EQ(v2_error(R"({"network": {"classID": 1048577}})"), message);
  BERTH_ASSERT_STR_EQ(v2_error(R"({"network": {"priorities": [{"name": "eth0", "priority": 5}]}})"),
                      "/linux/resources/network: not supported on cgroup v2, and no cgroup v1 "
                      "hierarchy on this host has the net_prio controller");
  // update --resources: pointers from the document's root.
  BERTH_ASSERT_STR_EQ(error_of(resources(R"({"network": {"classID": 1}})"), all(Version::V2), ""),
                      "/network: not supported on cgroup v2, and no cgroup v1 hierarchy on this "
                      "host has the net_cls controller");
  BERTH_ASSERT_STR_EQ(v2(R"({"network": {"priorities": []}})"), "");
}

Test(cgroup_resources_v2, unified_verbatim_and_last) {
  auto planned = plan(R"({"memory": {"limit": 1000},
                          "unified": {"memory.high": "900", "cgroup.max.depth": "3",
                                      "io.max": "259:0 rbps=2097152 wiops=120\n253:0 rbps=1"}})",
                      Version::V2);
  BERTH_ASSERT_STR_EQ(describe(planned.writes),
                      "memory.max=1000\n"
                      "cgroup.max.depth=3\n"
                      "io.max=259:0 rbps=2097152 wiops=120\n253:0 rbps=1\n"
                      "memory.high=900\n");
}

Test(cgroup_resources_v2, unified_refuses_what_is_not_a_file_name) {
  for (const char *key :
       {"memory", ".high", "memory.", "memory/../x.y", "memory..high", "../memory.max", "a/b.c"}) {
    spec::Resources given;
    given.unified.emplace(key, "1");
    auto planned = cgroup::plan_resources(given, all(Version::V2));
    cr_assert(!planned.has_value(), "%s was accepted", key);
    const std::string message = planned.error().message();
    cr_assert(message.starts_with("/linux/resources/unified/") &&
                  message.ends_with(": expected a file name of the form <controller>.<name> "
                                    "without '/' or '..'"),
              "%s: %s", key, message.c_str());
  }
  spec::Resources slash;
  slash.unified["a/b.c"] = "1";
  BERTH_ASSERT_STR_EQ(error_of(slash, all(Version::V2)),
                      "/linux/resources/unified/a~1b.c: expected a file name of the form "
                      "<controller>.<name> without '/' or '..'");
}

Test(cgroup_resources_v1, unified_is_an_error) {
  BERTH_ASSERT_STR_EQ(v1_error(R"({"unified": {"memory.high": "900"}})"),
                      "/linux/resources/unified/memory.high: unified needs cgroup v2, and the "
                      "memory controller is on cgroup v1 on this host");
}

Test(cgroup_resources_v2, device_rules_are_no_file) {
  BERTH_ASSERT_STR_EQ(v2(R"({"devices": [{"allow": false, "access": "rwm"},
                                         {"allow": true, "type": "c", "major": 1, "minor": 3}]})"),
                      "");
}

Test(cgroup_resources_v1, memory_in_write_order) {
  auto planned = plan(R"({"memory": {"limit": 536870912, "reservation": 268435456,
                                     "swap": 1073741824, "kernel": 1, "kernelTCP": 2,
                                     "swappiness": 60, "disableOOMKiller": true,
                                     "useHierarchy": true}})",
                      Version::V1);
  BERTH_ASSERT_STR_EQ(describe(planned.writes),
                      "memory.memsw.limit_in_bytes=-1 (optional)\n"
                      "memory.limit_in_bytes=536870912\n"
                      "memory.memsw.limit_in_bytes=1073741824 (optional)\n"
                      "memory.soft_limit_in_bytes=268435456\n"
                      "memory.swappiness=60\n"
                      "memory.oom_control=1\n"
                      "memory.use_hierarchy=1\n");
  BERTH_ASSERT_STR_EQ(lines(planned.ignored),
                      "/linux/resources/memory/kernel: deprecated; kernel memory limits are not "
                      "set\n"
                      "/linux/resources/memory/kernelTCP: deprecated; kernel TCP limits are not "
                      "set\n");
  BERTH_ASSERT_STR_EQ(v1(R"({"memory": {"limit": -1, "disableOOMKiller": false}})"),
                      "memory.memsw.limit_in_bytes=-1 (optional)\nmemory.limit_in_bytes=-1\n"
                      "memory.memsw.limit_in_bytes=-1 (optional)\nmemory.oom_control=0\n");
  BERTH_ASSERT_STR_EQ(v1(R"({"memory": {"swap": -1}})"),
                      "memory.memsw.limit_in_bytes=-1 (optional)\n");
  BERTH_ASSERT_STR_EQ(v1_error(R"({"memory": {"limit": 200, "swap": 100}})"),
                      "/linux/resources/memory/swap: memory+swap (100) is less than the memory "
                      "limit (200)");
  BERTH_ASSERT_STR_EQ(v1_error(R"({"memory": {"reservation": -3}})"),
                      "/linux/resources/memory/reservation: expected -1 (unlimited) or a number "
                      "of bytes, got -3");
}

Test(cgroup_resources_v1, cpu_in_write_order) {
  BERTH_ASSERT_STR_EQ(v1(R"({"cpu": {"shares": 512, "quota": 50000, "period": 100000,
                                     "burst": 1000, "realtimeRuntime": 950000,
                                     "realtimePeriod": 1000000, "cpus": "2-3", "mems": "0-7",
                                     "idle": 1}})"),
                      "cpu.shares=512\n"
                      "cpu.cfs_period_us=100000\n"
                      "cpu.cfs_burst_us=0\n"
                      "cpu.cfs_quota_us=50000\n"
                      "cpu.cfs_burst_us=1000\n"
                      "cpu.rt_period_us=1000000\n"
                      "cpu.rt_runtime_us=950000\n"
                      "cpu.idle=1\n"
                      "cpuset.cpus=2-3\n"
                      "cpuset.mems=0-7\n");
  BERTH_ASSERT_STR_EQ(v1(R"({"cpu": {"quota": -5, "idle": 0, "shares": 1024}})"),
                      "cpu.idle=0\ncpu.shares=1024\ncpu.cfs_quota_us=-1\n");
}

Test(cgroup_resources_v1, blkio_files) {
  BERTH_ASSERT_STR_EQ(v1(R"({"blockIO": {
      "weight": 500, "leafWeight": 300,
      "weightDevice": [{"major": 8, "minor": 0, "weight": 1000, "leafWeight": 10}],
      "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 600}],
      "throttleWriteBpsDevice": [{"major": 8, "minor": 16, "rate": 700}],
      "throttleReadIOPSDevice": [{"major": 8, "minor": 0, "rate": 100}],
      "throttleWriteIOPSDevice": [{"major": 8, "minor": 16, "rate": 300}]}})"),
                      "blkio.weight=500 (or blkio.bfq.weight)\n"
                      "blkio.leaf_weight=300 (optional)\n"
                      "blkio.weight_device=8:0 1000 (or blkio.bfq.weight_device)\n"
                      "blkio.leaf_weight_device=8:0 10 (optional)\n"
                      "blkio.throttle.read_bps_device=8:0 600\n"
                      "blkio.throttle.write_bps_device=8:16 700\n"
                      "blkio.throttle.read_iops_device=8:0 100\n"
                      "blkio.throttle.write_iops_device=8:16 300\n");
}

Test(cgroup_resources_v1, hugetlb_rdma_and_network) {
  BERTH_ASSERT_STR_EQ(v1(R"({"hugepageLimits": [{"pageSize": "64KB", "limit": 1000000}],
                             "rdma": {"mlx4_0": {"hcaObjects": 1000}},
                             "network": {"classID": 1048577,
                                         "priorities": [{"name": "eth0", "priority": 500},
                                                        {"name": "eth1", "priority": 1000}]}})"),
                      "hugetlb.64KB.limit_in_bytes=1000000\n"
                      "hugetlb.64KB.rsvd.limit_in_bytes=1000000 (optional)\n"
                      "rdma.max=mlx4_0 hca_object=1000\n"
                      "net_cls.classid=1048577\n"
                      "net_prio.ifpriomap=eth0 500\n"
                      "net_prio.ifpriomap=eth1 1000\n");
}

Test(cgroup_resources_v1, devices_deny_all_first_then_the_rules_in_order) {
  BERTH_ASSERT_STR_EQ(v1(R"({"devices": [
      {"allow": false, "access": "rwm"},
      {"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rw"},
      {"allow": true, "type": "b", "major": 8, "minor": 0, "access": "r"},
      {"allow": true, "type": "a", "major": 1, "access": "r"},
      {"allow": true, "type": "c", "major": -1, "minor": -1, "access": "m"},
      {"allow": true, "type": "c", "major": 4, "access": ""},
      {"allow": false, "type": "c", "major": 136},
      {"allow": true, "access": "mwr"}]})"),
                      "devices.deny=a\n"
                      "devices.deny=a\n"
                      "devices.allow=c 10:229 rw\n"
                      "devices.allow=b 8:0 r\n"
                      "devices.allow=c 1:* r\n"
                      "devices.allow=b 1:* r\n"
                      "devices.allow=c *:* m\n"
                      "devices.deny=c 136:* rwm\n"
                      "devices.allow=a\n");
  // No rules (update without devices): the cgroup's rules stay as they are.
  BERTH_ASSERT_STR_EQ(v1(R"({"pids": {"limit": 5}})"), "pids.max=5\n");
}

Test(cgroup_resources, hybrid_hosts_translate_each_controller_for_its_hierarchy) {
  // This host: v1 memory, cpu, blkio and devices; hugetlb on the unified one.
  auto version_of = [](std::string_view controller) -> std::optional<Version> {
    for (auto v1 : {"memory", "cpu", "cpuset", "blkio", "devices", "pids"})
      if (controller == v1)
        return Version::V1;
    if (controller == "hugetlb" || controller == "cgroup")
      return Version::V2;
    return std::nullopt;
  };
  auto given = resources(R"({"memory": {"limit": 1000},
                             "blockIO": {"weight": 100},
                             "hugepageLimits": [{"pageSize": "2MB", "limit": 2097152}],
                             "devices": [{"allow": true, "type": "c", "major": 1, "minor": 3,
                                          "access": "rwm"}],
                             "unified": {"hugetlb.2MB.max": "4194304",
                                         "cgroup.max.descendants": "10"}})");
  auto planned = cgroup::plan_resources(given, version_of);
  cr_assert(planned.has_value(), "%s", planned ? "" : planned.error().message().c_str());
  BERTH_ASSERT_STR_EQ(describe(planned->writes), "devices.deny=a\n"
                                                 "devices.allow=c 1:3 rwm\n"
                                                 "memory.limit_in_bytes=1000\n"
                                                 "blkio.weight=100 (or blkio.bfq.weight)\n"
                                                 "hugetlb.2MB.max=2097152\n"
                                                 "hugetlb.2MB.rsvd.max=2097152 (optional)\n"
                                                 "cgroup.max.descendants=10\n"
                                                 "hugetlb.2MB.max=4194304\n");

  given.unified["memory.high"] = "1";
  BERTH_ASSERT_STR_EQ(error_of(given, version_of),
                      "/linux/resources/unified/memory.high: unified needs cgroup v2, and the "
                      "memory controller is on cgroup v1 on this host");
  given.unified.clear();
  given.unified["rdma.max"] = "mlx4_0 hca_object=1";
  BERTH_ASSERT_STR_EQ(error_of(given, version_of),
                      "/linux/resources/unified/rdma.max: no cgroup hierarchy on this host has "
                      "the rdma controller");
}

Test(cgroup_resources, a_controller_no_hierarchy_has_is_an_error_when_asked_for) {
  auto only_memory = [](std::string_view controller) -> std::optional<Version> {
    if (controller == "memory")
      return Version::V2;
    return std::nullopt;
  };
  BERTH_ASSERT_STR_EQ(
      error_of(resources(R"({"rdma": {"mlx4_0": {"hcaObjects": 1}}})"), only_memory),
      "/linux/resources/rdma: no cgroup hierarchy on this host has the rdma "
      "controller");
  BERTH_ASSERT_STR_EQ(error_of(resources(R"({"pids": {"limit": 10}})"), only_memory),
                      "/linux/resources/pids: no cgroup hierarchy on this host has the pids "
                      "controller");
  BERTH_ASSERT_STR_EQ(error_of(resources(R"({"cpu": {"mems": "0"}})"), only_memory),
                      "/linux/resources/cpu/mems: no cgroup hierarchy on this host has the "
                      "cpuset controller");
  BERTH_ASSERT_STR_EQ(error_of(resources(R"({"blockIO": {"weight": 10}})"), only_memory),
                      "/linux/resources/blockIO: no cgroup hierarchy on this host has the io "
                      "controller");
  // Sections that ask for nothing need no controller.
  BERTH_ASSERT_STR_EQ(
      error_of(resources(R"({"cpu": {"cpus": ""}, "blockIO": {}, "network": {}, "memory": {}})"),
               only_memory),
      "(no error)");
}

Test(cgroup_resources, v1_and_v2_writes_are_the_plans_writes) {
  auto given = resources(R"({"memory": {"limit": 1000}, "pids": {"limit": 3}})");
  auto on_v2 = cgroup::v2_writes(given);
  auto on_v1 = cgroup::v1_writes(given);
  cr_assert(on_v2.has_value() && on_v1.has_value());
  BERTH_ASSERT_STR_EQ(describe(*on_v2), "memory.max=1000\npids.max=3\n");
  BERTH_ASSERT_STR_EQ(describe(*on_v1), "memory.limit_in_bytes=1000\npids.max=3\n");
}

// Docker writes 0 for every limit it does not set, in every config and every
// update; runc writes nothing for them. Written, cpu.shares 0 would become 2
// (a weight of 2 instead of the default 1024) and cpu.cfs_period_us 0 EINVAL.
Test(cgroup_resources, zero_limits_write_nothing) {
  const char *docker = R"({"memory": {"limit": 0, "reservation": 0, "swap": 0, "kernel": 0,
                                      "kernelTCP": 0},
                           "cpu": {"shares": 0, "quota": 0, "period": 0,
                                   "realtimeRuntime": 0, "realtimePeriod": 0},
                           "pids": {"limit": 0},
                           "blockIO": {"weight": 0, "leafWeight": 0}})";
  BERTH_ASSERT_STR_EQ(v1(docker), "");
  BERTH_ASSERT_STR_EQ(v2(docker), "");
  cr_assert(plan(docker, Version::V1).ignored.empty(), "kernel 0 is no kernel limit to ignore");
  BERTH_ASSERT_STR_EQ(v1(R"({"memory": {"limit": 1048576, "swap": 0},
                             "cpu": {"shares": 0, "period": 0, "quota": 0}})"),
                      "memory.limit_in_bytes=1048576\n");
  BERTH_ASSERT_STR_EQ(v2(R"({"cpu": {"shares": 0, "quota": 0, "period": 100000},
                             "blockIO": {"weight": 0}})"),
                      "cpu.max=max 100000\n");
}

// runc: no memory limit, and swap not mentioned, lifts memory+swap too; on v1
// the old memsw would otherwise be below the new limit and refuse it.
Test(cgroup_resources, lifting_the_memory_limit_lifts_swap_too) {
  BERTH_ASSERT_STR_EQ(v1(R"({"memory": {"limit": -1}})"),
                      "memory.memsw.limit_in_bytes=-1 (optional)\n"
                      "memory.limit_in_bytes=-1\n"
                      "memory.memsw.limit_in_bytes=-1 (optional)\n");
  BERTH_ASSERT_STR_EQ(v1(R"({"memory": {"limit": -1, "swap": 0}})"),
                      "memory.memsw.limit_in_bytes=-1 (optional)\n"
                      "memory.limit_in_bytes=-1\n"
                      "memory.memsw.limit_in_bytes=-1 (optional)\n");
  BERTH_ASSERT_STR_EQ(v2(R"({"memory": {"limit": -1}})"),
                      "memory.max=max\nmemory.swap.max=max (optional)\n");
}
