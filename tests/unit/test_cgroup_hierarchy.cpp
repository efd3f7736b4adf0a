// The host's cgroup hierarchies from mountinfo and /proc/self/cgroup texts (a
// pure v2 host, a legacy v1 host, this project's hybrid hosts, a container
// that sees a subtree), and where cgroupsPath puts a container in them.
#include <criterion/criterion.h>

#include <string>

#include "cgroup/cgroup_files.hpp"
#include "cgroup/cgroup_path.hpp"
#include "cgroup/hierarchy.hpp"
#include "string_assert.hpp"

using namespace berth;
using namespace berth::cgroup;

namespace {

constexpr const char *kPureV2Mountinfo =
    "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
    "23 22 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw\n"
    "24 22 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:13 - proc proc rw\n"
    "26 23 0:24 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n";
constexpr const char *kPureV2Self = "0::/user.slice/user-0.slice/session-3.scope\n";

constexpr const char *kV1Mountinfo =
    "18 1 8:1 / / rw,relatime shared:1 - xfs /dev/sda1 rw\n"
    "19 18 0:18 / /sys rw,nosuid,nodev,noexec,relatime shared:6 - sysfs sysfs rw\n"
    "20 19 0:19 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:7 - tmpfs tmpfs ro,mode=755\n"
    "21 20 0:20 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:8 - cgroup "
    "cgroup rw,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd\n"
    "22 20 0:21 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:9 - cgroup "
    "cgroup rw,cpu,cpuacct\n"
    "23 20 0:22 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:10 - cgroup "
    "cgroup rw,memory\n"
    "24 20 0:23 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:11 - cgroup "
    "cgroup rw,cpuset,clone_children\n"
    "25 20 0:24 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:12 - "
    "cgroup cgroup rw,net_cls,net_prio\n";
// rdma is an active hierarchy nobody mounted: it is left out.
constexpr const char *kV1Self = "12:rdma:/\n"
                                "11:memory:/user.slice\n"
                                "10:cpuset:/\n"
                                "4:cpu,cpuacct:/user.slice\n"
                                "2:net_cls,net_prio:/\n"
                                "1:name=systemd:/user.slice/user-0.slice/session-1.scope\n";

// This project's hosts, as they are.
constexpr const char *kHybridMountinfo =
    "23 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime - sysfs sysfs rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
    "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
constexpr const char *kHybridSelf = "9:name=systemd:/\n"
                                    "8:pids:/\n"
                                    "7:blkio:/\n"
                                    "6:freezer:/\n"
                                    "5:devices:/\n"
                                    "4:memory:/process_api/eaa4fba1\n"
                                    "3:cpuset:/\n"
                                    "2:cpuacct:/\n"
                                    "1:cpu:/\n"
                                    "0::/\n";

HostHierarchies parse(const std::string &mountinfo, const char *self) {
  auto host = parse_hierarchies(mountinfo, self);
  cr_assert(host.has_value(), "%s", host ? "" : host.error().message().c_str());
  return std::move(*host);
}

const Hierarchy &at_mount(const HostHierarchies &host, const std::string &mount_point) {
  for (const auto &hierarchy : host.hierarchies)
    if (hierarchy.mount_point == mount_point)
      return hierarchy;
  cr_assert_fail("no hierarchy at %s", mount_point.c_str());
  return host.hierarchies.front();
}

std::string resolved(const Hierarchy &hierarchy, std::optional<std::string> cgroups_path,
                     const char *id = "c1") {
  auto path = resolve_cgroup_path(hierarchy, cgroups_path, id);
  return path ? *path : "ERR " + path.error().message();
}

} // namespace

Test(cgroup_hierarchy, pure_v2_host) {
  auto host = parse(kPureV2Mountinfo, kPureV2Self);
  cr_assert_eq(host.hierarchies.size(), 1u);
  const auto &unified = host.hierarchies[0];
  cr_expect(unified.version == Version::V2);
  BERTH_ASSERT_STR_EQ(unified.mount_point, "/sys/fs/cgroup");
  BERTH_ASSERT_STR_EQ(unified.own_cgroup, "/user.slice/user-0.slice/session-3.scope");
  cr_expect(unified.controllers.empty(), "v2 controllers come from cgroup.controllers");
  host.hierarchies[0].controllers = split_controllers("cpuset cpu io memory hugetlb pids rdma\n");
  cr_expect(host.is_pure_v2());
  cr_expect_eq(host.owner_of("memory"), &host.hierarchies[0]);
  cr_expect_eq(host.owner_of("net_cls"), nullptr);
  cr_expect_eq(host.unified(), &host.hierarchies[0]);
}

Test(cgroup_hierarchy, legacy_v1_host) {
  auto host = parse(kV1Mountinfo, kV1Self);
  cr_assert_eq(host.hierarchies.size(), 5u, "rdma is not mounted: %zu", host.hierarchies.size());
  cr_expect_eq(host.unified(), nullptr);
  cr_expect(!host.is_pure_v2());
  const auto &cpu = at_mount(host, "/sys/fs/cgroup/cpu,cpuacct");
  cr_expect(cpu.version == Version::V1);
  cr_expect_eq(cpu.controllers.size(), 2u);
  cr_expect(cpu.owns("cpu") && cpu.owns("cpuacct"));
  BERTH_ASSERT_STR_EQ(cpu.own_cgroup, "/user.slice");
  cr_expect_eq(host.owner_of("cpuacct"), &cpu);
  // Mount options that are not controllers do not make controllers.
  const auto &cpuset = at_mount(host, "/sys/fs/cgroup/cpuset");
  cr_expect_eq(cpuset.controllers.size(), 1u);
  cr_expect(!cpuset.owns("clone_children"));
  const auto &systemd = at_mount(host, "/sys/fs/cgroup/systemd");
  BERTH_ASSERT_STR_EQ(systemd.name, "systemd");
  cr_expect(systemd.controllers.empty());
  BERTH_ASSERT_STR_EQ(systemd.own_cgroup, "/user.slice/user-0.slice/session-1.scope");
  cr_expect_eq(host.owner_of("rdma"), nullptr);
  cr_expect_eq(host.owner_of("net_prio"), &at_mount(host, "/sys/fs/cgroup/net_cls,net_prio"));
}

Test(cgroup_hierarchy, hybrid_host) {
  auto host = parse(kHybridMountinfo, kHybridSelf);
  cr_assert_eq(host.hierarchies.size(), 10u);
  const Hierarchy *unified = host.unified();
  cr_assert(unified);
  BERTH_ASSERT_STR_EQ(unified->mount_point, "/sys/fs/cgroup/unified");
  BERTH_ASSERT_STR_EQ(unified->own_cgroup, "/");
  host.hierarchies.back().controllers = split_controllers("hugetlb\n");
  cr_expect(!host.is_pure_v2());
  // v1 first: a controller bound to v1 is not v2's.
  BERTH_ASSERT_STR_EQ(host.owner_of("memory")->mount_point, "/sys/fs/cgroup/memory");
  BERTH_ASSERT_STR_EQ(host.owner_of("memory")->own_cgroup, "/process_api/eaa4fba1");
  BERTH_ASSERT_STR_EQ(host.owner_of("hugetlb")->mount_point, "/sys/fs/cgroup/unified");
  cr_expect_eq(host.owner_of("rdma"), nullptr);
}

Test(cgroup_hierarchy, mounts_hidden_under_a_later_mount_are_left_out) {
  // `unshare -m` + `mount -t cgroup2 none /sys/fs/cgroup` on a hybrid host:
  // mountinfo still lists the v1 mounts below the new one.
  std::string mountinfo =
      std::string(kHybridMountinfo) + "60 31 0:38 / /sys/fs/cgroup rw,relatime - cgroup2 none rw\n";
  auto host = parse(mountinfo, kHybridSelf);
  cr_assert_eq(host.hierarchies.size(), 1u);
  cr_expect(host.hierarchies[0].version == Version::V2);
  BERTH_ASSERT_STR_EQ(host.hierarchies[0].mount_point, "/sys/fs/cgroup");
}

Test(cgroup_hierarchy, container_seeing_a_subtree) {
  // A container without a cgroup namespace, the host's cgroup bound in.
  auto host = parse("100 1 0:50 / / rw - overlay overlay rw\n"
                    "110 100 0:26 /docker/abc /sys/fs/cgroup ro,nosuid - cgroup2 cgroup rw\n",
                    "0::/docker/abc/init\n");
  cr_assert_eq(host.hierarchies.size(), 1u);
  const auto &unified = host.hierarchies[0];
  BERTH_ASSERT_STR_EQ(unified.mount_root, "/docker/abc");
  BERTH_ASSERT_STR_EQ(resolved(unified, "c1"), "/init/c1");
  BERTH_ASSERT_STR_EQ(resolved(unified, "/abs"), "/abs");
}

Test(cgroup_hierarchy, prefers_the_mount_of_the_whole_hierarchy) {
  auto host = parse("1 0 8:1 / / rw - ext4 /dev/sda1 rw\n"
                    "5 1 0:26 /sub /mnt/sub rw - cgroup2 cgroup2 rw\n"
                    "6 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
                    "0::/\n");
  cr_assert_eq(host.hierarchies.size(), 1u);
  BERTH_ASSERT_STR_EQ(host.hierarchies[0].mount_point, "/sys/fs/cgroup");
}

Test(cgroup_hierarchy, rejects_a_malformed_proc_self_cgroup) {
  auto host = parse_hierarchies(kPureV2Mountinfo, "0::/ok\ngarbage\n");
  cr_assert(!host.has_value());
  cr_expect(host.error().message().find("line 2") != std::string::npos, "%s",
            host.error().message().c_str());
}

Test(cgroup_hierarchy, reads_this_host) {
  auto host = discover_hierarchies();
  cr_assert(host.has_value(), "%s", host ? "" : host.error().message().c_str());
  cr_expect(!host->hierarchies.empty());
}

Test(cgroup_path, absolute_paths_start_at_the_hierarchy_root) {
  auto host = parse(kHybridMountinfo, kHybridSelf);
  const auto &memory = at_mount(host, "/sys/fs/cgroup/memory");
  BERTH_ASSERT_STR_EQ(resolved(memory, "/berth/c1"), "/berth/c1");
  BERTH_ASSERT_STR_EQ(resolved(memory, "//berth/./c1/"), "/berth/c1");
  cr_expect(resolved(memory, "/").starts_with("ERR"));
  cr_expect(resolved(memory, "/./").starts_with("ERR"));
}

Test(cgroup_path, relative_paths_start_at_berths_own_cgroup) {
  auto host = parse(kHybridMountinfo, kHybridSelf);
  const auto &memory = at_mount(host, "/sys/fs/cgroup/memory");
  const auto &pids = at_mount(host, "/sys/fs/cgroup/pids");
  BERTH_ASSERT_STR_EQ(resolved(memory, "berth/c1"), "/process_api/eaa4fba1/berth/c1");
  BERTH_ASSERT_STR_EQ(resolved(pids, "berth/c1"), "/berth/c1");
  // Absent or empty: the container id.
  BERTH_ASSERT_STR_EQ(resolved(memory, std::nullopt, "web"), "/process_api/eaa4fba1/web");
  BERTH_ASSERT_STR_EQ(resolved(pids, "", "web"), "/web");
  // Berth's own cgroup is not the container's.
  cr_expect(resolved(memory, ".").starts_with("ERR"));
}

Test(cgroup_path, refuses_climbing_out) {
  auto host = parse(kHybridMountinfo, kHybridSelf);
  const auto &memory = at_mount(host, "/sys/fs/cgroup/memory");
  for (const char *path : {"..", "../x", "a/../../b", "/a/..", "/../sys", "a/.."}) {
    auto result = resolved(memory, path);
    cr_expect(result.starts_with("ERR") && result.find("..") != std::string::npos, "%s: %s", path,
              result.c_str());
  }
  cr_expect(resolved(memory, std::string("a\0b", 3)).starts_with("ERR"));
  // A name that merely starts with dots is a name.
  BERTH_ASSERT_STR_EQ(resolved(memory, "/...x/..y"), "/...x/..y");
}

Test(cgroup_path, levels) {
  auto levels = cgroup_path_levels("/a/b/c");
  cr_assert_eq(levels.size(), 3u);
  BERTH_ASSERT_STR_EQ(levels[0], "/a");
  BERTH_ASSERT_STR_EQ(levels[1], "/a/b");
  BERTH_ASSERT_STR_EQ(levels[2], "/a/b/c");
  cr_expect(cgroup_path_levels("/").empty());
}

Test(cgroup_files, numbers_and_keyed_files) {
  cr_expect_eq(parse_cgroup_number("max\n").value_or(0), UINT64_MAX);
  cr_expect_eq(parse_cgroup_number("  4096\n").value_or(0), 4096u);
  cr_expect(!parse_cgroup_number("12k").has_value());
  cr_expect(!parse_cgroup_number("-1").has_value());
  auto values = parse_flat_keyed("populated 1\nfrozen 0\nbroken\nodd x\n");
  cr_expect_eq(values.size(), 2u);
  cr_expect_eq(values["populated"], 1u);
  cr_expect_eq(values["frozen"], 0u);
}
