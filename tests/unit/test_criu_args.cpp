// The criu(8) command lines of checkpoint and restore, and the one-line
// summary of a criu log that a failure shows.
#include <criterion/criterion.h>

#include <algorithm>
#include <string>
#include <vector>

#include "container/criu_args.hpp"
#include "json/value.hpp"

using namespace berth;
using namespace berth::container;

namespace {

bool has(const std::vector<std::string> &args, std::string_view arg) {
  return std::ranges::find(args, arg) != args.end();
}

// The argument right after `flag`, or "" when there is none.
std::string after(const std::vector<std::string> &args, std::string_view flag) {
  auto it = std::ranges::find(args, flag);
  return it == args.end() || it + 1 == args.end() ? "" : *(it + 1);
}

CriuOptions options() {
  CriuOptions o;
  o.image_path = "/var/lib/ck/img";
  o.root = "/bundles/c1/rootfs";
  o.external_mounts = {{"/data", "/srv/data"}};
  return o;
}

spec::Mount mount(std::string destination, std::optional<std::string> type,
                  std::optional<std::string> source, std::vector<std::string> opts = {}) {
  spec::Mount m;
  m.destination = std::move(destination);
  m.type = std::move(type);
  m.source = std::move(source);
  m.options = std::move(opts);
  return m;
}

sys::MountInfo mountinfo(std::string mount_point, std::string fstype, std::string root) {
  sys::MountInfo m;
  m.mount_point = std::move(mount_point);
  m.fstype = std::move(fstype);
  m.root = std::move(root);
  return m;
}

json::Value hierarchies(std::string_view text) {
  auto value = json::parse(text);
  cr_assert(value.has_value());
  return *value;
}

} // namespace

Test(criu_args, dump_names_the_tree_root_and_images) {
  auto args = criu_dump_args("/usr/sbin/criu", options(), 4242, false);
  cr_assert_eq(args.at(0), "/usr/sbin/criu");
  cr_assert_eq(args.at(1), "dump");
  cr_assert_eq(after(args, "--tree"), "4242");
  cr_assert_eq(after(args, "--root"), "/bundles/c1/rootfs");
  cr_assert_eq(after(args, "--images-dir"), "/var/lib/ck/img");
  // No --work-path: the logs go with the images.
  cr_assert_eq(after(args, "--work-dir"), "/var/lib/ck/img");
  cr_assert_eq(after(args, "-o"), "dump.log");
  cr_assert(has(args, "-v4"));
  cr_assert(has(args, "--manage-cgroups=ignore"));
  cr_assert(!has(args, "--leave-running"));
  cr_assert(!has(args, "--tcp-established"));
  cr_assert(!has(args, "--file-locks"));
  cr_assert(!has(args, "--ext-unix-sk"));
  cr_assert(!has(args, "--shell-job"));
}

Test(criu_args, dump_declares_bind_mounts_external_by_destination) {
  auto args = criu_dump_args("criu", options(), 1, false);
  // On dump the key is the destination itself; the host path is not needed.
  cr_assert(has(args, "--external=mnt[/data]:/data"));
  cr_assert(!has(args, "--external=mnt[/data]:/srv/data"));
}

Test(criu_args, dump_flags) {
  CriuOptions o = options();
  o.work_path = "/tmp/work";
  o.tcp_established = o.file_locks = o.ext_unix_sk = o.shell_job = true;
  auto args = criu_dump_args("criu", o, 1, true);
  cr_assert_eq(after(args, "--work-dir"), "/tmp/work");
  for (auto flag :
       {"--leave-running", "--tcp-established", "--file-locks", "--ext-unix-sk", "--shell-job"})
    cr_assert(has(args, flag), "missing %s", flag);
}

Test(criu_args, restore_maps_external_mounts_to_host_sources) {
  auto args = criu_restore_args("criu", options(), "/run/berth/c1/criu.pid");
  cr_assert_eq(args.at(1), "restore");
  cr_assert(has(args, "--external=mnt[/data]:/srv/data"));
  cr_assert_eq(after(args, "--root"), "/bundles/c1/rootfs");
  cr_assert_eq(after(args, "--pidfile"), "/run/berth/c1/criu.pid");
  cr_assert_eq(after(args, "-o"), "restore.log");
  // criu returns once the tasks run, and the restored init is berth's child.
  cr_assert(has(args, "--restore-detached"));
  cr_assert(has(args, "--restore-sibling"));
  cr_assert(has(args, "--manage-cgroups=ignore"));
  cr_assert(!has(args, "--leave-running"));
  cr_assert(!has(args, "--tree"));
}

Test(criu_args, bind_mounts_of_config) {
  spec::Config config;
  config.mounts = {
      mount("/proc", "proc", "proc"),
      mount("/data", "bind", "/srv/data"),
      mount("/etc/hosts", std::nullopt, "hosts", {"rbind", "ro"}),
      mount("/cache", "none", "/var/cache", {"bind"}),
      mount("/tmp", "tmpfs", "tmpfs", {"nosuid"}),
  };
  auto binds = bind_mounts_of(config, "/bundles/c1");
  cr_assert_eq(binds.size(), 3u);
  cr_assert_eq(binds[0].key, "/data");
  cr_assert_eq(binds[0].host_path, "/srv/data");
  // A relative source is relative to the bundle.
  cr_assert_eq(binds[1].key, "/etc/hosts");
  cr_assert_eq(binds[1].host_path, "/bundles/c1/hosts");
  cr_assert_eq(binds[2].key, "/cache");
  cr_assert_eq(binds[2].host_path, "/var/cache");
}

Test(criu_args, cgroup_binds_are_the_cgroup_mounts_of_a_sub_tree) {
  std::vector<sys::MountInfo> table = {
      mountinfo("/", "ext4", "/srv/rootfs"),
      mountinfo("/sys/fs/cgroup", "tmpfs", "/"),
      mountinfo("/sys/fs/cgroup/memory", "cgroup", "/berth/c1"),
      mountinfo("/sys/fs/cgroup/unified", "cgroup2", "/berth/c1"),
      // A cgroup namespace's own mount shows its root: nothing from the host.
      mountinfo("/mnt/cg", "cgroup2", "/"),
  };
  auto binds = cgroup_binds_of(table);
  cr_assert_eq(binds.size(), 2u);
  cr_assert_eq(binds[0].key, "/sys/fs/cgroup/memory");
  cr_assert_eq(binds[1].key, "/sys/fs/cgroup/unified");
}

Test(criu_args, cgroup_binds_for_restore_on_pure_v2) {
  spec::Config config;
  config.mounts = {mount("/sys/fs/cgroup", "cgroup", "cgroup")};
  auto h = hierarchies(
      R"([{"version": 2, "mount_point": "/sys/fs/cgroup", "path": "/berth/c1", "created": []}])");
  auto binds = cgroup_binds_for_restore(config, h);
  cr_assert_eq(binds.size(), 1u);
  cr_assert_eq(binds[0].key, "/sys/fs/cgroup");
  cr_assert_eq(binds[0].host_path, "/sys/fs/cgroup/berth/c1");
}

Test(criu_args, cgroup_binds_for_restore_on_hybrid) {
  spec::Config config;
  config.mounts = {mount("/sys/fs/cgroup", "cgroup", "cgroup")};
  auto h = hierarchies(R"([
    {"version": 1, "mount_point": "/sys/fs/cgroup/memory", "path": "/c1"},
    {"version": 1, "mount_point": "/sys/fs/cgroup/cpu,cpuacct", "path": "/c1"},
    {"version": 2, "mount_point": "/sys/fs/cgroup/unified", "path": "/c1"}])");
  auto binds = cgroup_binds_for_restore(config, h);
  cr_assert_eq(binds.size(), 3u);
  cr_assert_eq(binds[0].key, "/sys/fs/cgroup/memory");
  cr_assert_eq(binds[0].host_path, "/sys/fs/cgroup/memory/c1");
  cr_assert_eq(binds[1].key, "/sys/fs/cgroup/cpu,cpuacct");
  cr_assert_eq(binds[2].key, "/sys/fs/cgroup/unified");
  cr_assert_eq(binds[2].host_path, "/sys/fs/cgroup/unified/c1");
}

Test(criu_args, no_cgroup_binds_with_a_cgroup_namespace_or_no_cgroup_mount) {
  auto h = hierarchies(R"([{"version": 2, "mount_point": "/sys/fs/cgroup", "path": "/c1"}])");
  spec::Config without_mount;
  without_mount.mounts = {mount("/proc", "proc", "proc")};
  cr_assert(cgroup_binds_for_restore(without_mount, h).empty());
  spec::Config with_ns;
  with_ns.mounts = {mount("/sys/fs/cgroup", "cgroup", "cgroup")};
  with_ns.linux.emplace();
  with_ns.linux->namespaces.push_back({spec::NamespaceType::Cgroup, std::nullopt});
  cr_assert(cgroup_binds_for_restore(with_ns, h).empty());
}

Test(criu_args, log_summary_is_the_last_error_lines) {
  std::string log = "(00.000328) Version: 3.17.1 (gitid 0)\n"
                    "(00.015884) Error (criu/sockets.c:209): sockets: Diag module missing (-2)\n"
                    "(00.090659) Pagemap is fully functional\n"
                    "(00.100000) Error (criu/mount.c:1): mnt: first\n"
                    "(00.100001) Error (criu/mount.c:2): mnt: second\n"
                    "(00.106939) Error (criu/cr-dump.c:2053): Dumping FAILED.\n"
                    "(00.107000) Unlock network\n";
  std::string three = criu_log_summary(log), one = criu_log_summary(log, 1);
  cr_assert_str_eq(three.c_str(),
                   "Error (criu/mount.c:1): mnt: first; Error (criu/mount.c:2): mnt: second; "
                   "Error (criu/cr-dump.c:2053): Dumping FAILED.");
  cr_assert_str_eq(one.c_str(), "Error (criu/cr-dump.c:2053): Dumping FAILED.");
}

Test(criu_args, log_summary_without_errors_is_the_last_line) {
  std::string last = criu_log_summary("(00.1) Version: 3.17.1\n(00.2) Dumping finished\n\n");
  cr_assert_str_eq(last.c_str(), "Dumping finished");
  cr_assert(criu_log_summary("").empty());
}
