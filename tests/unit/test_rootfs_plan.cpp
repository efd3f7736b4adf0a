// The rootfs plan (linux/rootfs_plan.hpp): what prepare_rootfs and
// finalize_rootfs will do, read from a config.json parsed as berth parses it.
// Pure: no root, no mount namespace. How options fold into flags is
// test_mount_options.cpp's; that the kernel does what a step says is
// test_rootfs_mounts.cpp's and the conformance suites'.
#include <criterion/criterion.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include <string>
#include <variant>
#include <vector>

#include "fork_child.hpp"
#include "linux/rootfs_plan.hpp"
#include "spec/parser.hpp"
#include "string_assert.hpp"

using namespace berth;
using namespace berth::linux;

namespace {

// A config with a mount namespace (and `namespaces` more), `mounts` as
// config.json's "mounts" array and `linux` as more members of "linux".
spec::Config config_of(const std::string &mounts, const std::string &linux = "",
                       const std::string &namespaces = "") {
  std::string text = R"({"ociVersion": "1.2.0", "root": {"path": "rootfs"},
    "process": {"user": {"uid": 0, "gid": 0}, "args": ["/bin/sh"], "cwd": "/"},
    "mounts": [)" + mounts +
                     R"(],
    "linux": {"namespaces": [{"type": "mount"})" +
                     (namespaces.empty() ? "" : ", " + namespaces) + "]" +
                     (linux.empty() ? "" : ", " + linux) + "}}";
  auto config = spec::parse_config(text);
  cr_assert(config.has_value(), "config does not parse: %s\n%s",
            config ? "" : config.error().message().c_str(), text.c_str());
  return std::move(*config);
}

RootfsPlan plan_of(const spec::Config &config, RootfsPlanOptions options = {}) {
  auto plan = plan_rootfs(config, options);
  cr_assert(plan.has_value(), "no plan: %s", plan ? "" : plan.error().message().c_str());
  return std::move(*plan);
}

template <class Step> std::vector<Step> steps_of(const RootfsPlan &plan) {
  std::vector<Step> found;
  for (const auto &step : plan.prepare)
    if (const auto *typed = std::get_if<Step>(&step))
      found.push_back(*typed);
  return found;
}

// The one mount step of a config with a single mount.
MountStep only_mount(const std::string &mount, const std::string &linux = "",
                     const std::string &namespaces = "") {
  auto mounts = steps_of<MountStep>(plan_of(config_of(mount, linux, namespaces)));
  cr_assert_eq(mounts.size(), 1u);
  return mounts[0];
}

// The kinds of the steps, in order, as one line; a run of one kind is
// "kindxN" ("devicex6").
std::string kinds(const RootfsPlan &plan) {
  static constexpr const char *kNames[] = {"tree-propagation", "bind-rootfs",     "mount",
                                           "device",           "dev-symlink",     "before-pivot",
                                           "switch-root",      "root-propagation"};
  std::vector<std::pair<std::string, int>> runs;
  for (const auto &step : plan.prepare) {
    if (!runs.empty() && runs.back().first == kNames[step.index()])
      ++runs.back().second;
    else
      runs.emplace_back(kNames[step.index()], 1);
  }
  std::string line;
  for (const auto &[name, count] : runs)
    line += (line.empty() ? "" : " ") + name + (count > 1 ? "x" + std::to_string(count) : "");
  return line;
}

std::string errors_of(const spec::Config &config) {
  auto plan = plan_rootfs(config, {});
  cr_assert(!plan.has_value(), "a plan for an impossible config");
  return plan.error().message();
}

// Kills the calling process at its next system call, except those memory
// allocation and the report through the pipe make: what is left to do for a
// pure computation.
bool allow_only_memory_and_write() {
  constexpr unsigned kAllowed[] = {SYS_brk,   SYS_mmap,       SYS_munmap,      SYS_mremap,
                                   SYS_write, SYS_exit_group, SYS_rt_sigreturn};
  std::vector<sock_filter> filter = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
  };
  for (unsigned nr : kAllowed) {
    filter.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1));
    filter.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  }
  filter.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
  sock_fprog program{static_cast<unsigned short>(filter.size()), filter.data()};
  return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) == 0;
}

} // namespace

// ---- No syscall ----

Test(rootfs_plan, planning_makes_no_system_call) {
  // Every kind of step, and the finalize phase.
  auto config = config_of(R"({"destination": "/proc", "type": "proc", "source": "proc"},
      {"destination": "/dev", "type": "tmpfs", "options": ["ro", "mode=755"]},
      {"destination": "/dev/mqueue", "type": "mqueue"},
      {"destination": "/sys/fs/cgroup", "type": "cgroup", "options": ["ro"]},
      {"destination": "/data", "source": "/srv", "options": ["rbind", "rro", "rslave"]},
      {"destination": "/m", "source": "/srv", "options": ["bind", "idmap"],
       "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
       "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]})",
                          R"("rootfsPropagation": "rshared", "mountLabel": "system_u:object_r:x:s0",
      "devices": [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229}],
      "maskedPaths": ["/proc/kcore"], "readonlyPaths": ["/proc/sys"])",
                          R"({"type": "ipc"})");
  config.root.readonly = true;
  auto report = test::run_in_child([&] {
    if (!allow_only_memory_and_write())
      return std::string("ERR seccomp");
    auto plan = plan_rootfs(config, {});
    if (!plan)
      return "ERR " + plan.error().message();
    return std::to_string(plan->prepare.size()) + " " + std::to_string(plan->finalize.size());
  });
  // 2 + 6 mounts + 7 devices + 5 links + hooks, switch, root propagation.
  BERTH_ASSERT_STR_EQ(report, "23 4");
}

// ---- The order of phase 1 ----

Test(rootfs_plan, an_empty_config_is_rslave_bind_devices_links_hooks_pivot) {
  auto plan = plan_of(config_of(""));
  BERTH_ASSERT_STR_EQ(kinds(plan), "tree-propagation bind-rootfs devicex6 dev-symlinkx5 "
                                   "before-pivot switch-root");
  cr_expect_eq(std::get<SetTreePropagation>(plan.prepare[0]).flags, MS_SLAVE | MS_REC);
  cr_expect(!std::get<BindRootfs>(plan.prepare[1]).private_in_host_namespace);
  cr_expect(std::get<SwitchRoot>(plan.prepare.back()).how == RootSwitch::Pivot);
  cr_expect(plan.finalize.empty());
  cr_expect(!plan.user_namespace && !plan.cgroup_namespace);
}

Test(rootfs_plan, mounts_come_in_config_order_between_the_rootfs_bind_and_dev) {
  auto plan = plan_of(config_of(R"({"destination": "/proc", "type": "proc", "source": "proc"},
      {"destination": "/dev", "type": "tmpfs", "source": "tmpfs"},
      {"destination": "/dev/pts", "type": "devpts", "source": "devpts"})"));
  BERTH_ASSERT_STR_EQ(kinds(plan), "tree-propagation bind-rootfs mountx3 devicex6 dev-symlinkx5 "
                                   "before-pivot switch-root");
  auto mounts = steps_of<MountStep>(plan);
  BERTH_ASSERT_STR_EQ(mounts[0].destination, "/proc");
  BERTH_ASSERT_STR_EQ(mounts[1].destination, "/dev");
  BERTH_ASSERT_STR_EQ(mounts[2].destination, "/dev/pts");
  for (std::size_t i = 0; i < mounts.size(); ++i)
    cr_expect_eq(mounts[i].index, i);
}

Test(rootfs_plan, rootfs_propagation_goes_on_the_tree_first_and_on_the_new_root_last) {
  struct Case {
    const char *name;
    unsigned long flags;
  };
  for (const auto &c :
       {Case{"shared", MS_SHARED}, Case{"rshared", MS_SHARED | MS_REC}, Case{"slave", MS_SLAVE},
        Case{"rslave", MS_SLAVE | MS_REC}, Case{"private", MS_PRIVATE},
        Case{"rprivate", MS_PRIVATE | MS_REC}, Case{"unbindable", MS_UNBINDABLE},
        Case{"runbindable", MS_UNBINDABLE | MS_REC}}) {
    auto plan = plan_of(config_of("", std::string(R"("rootfsPropagation": ")") + c.name + "\""));
    cr_expect_eq(std::get<SetTreePropagation>(plan.prepare.front()).flags, c.flags, "%s", c.name);
    const auto *last = std::get_if<SetRootPropagation>(&plan.prepare.back());
    cr_assert_not_null(last, "%s: no propagation after the pivot", c.name);
    cr_expect_eq(last->flags, c.flags, "%s", c.name);
    cr_expect(std::holds_alternative<SwitchRoot>(plan.prepare[plan.prepare.size() - 2]));
  }
}

Test(rootfs_plan, no_pivot_moves_and_chroots) {
  auto plan = plan_of(config_of(""), {.no_pivot = true});
  cr_expect(std::get<SwitchRoot>(plan.prepare.back()).how == RootSwitch::MoveAndChroot);
  cr_expect(std::holds_alternative<SetTreePropagation>(plan.prepare.front()));
}

Test(rootfs_plan, without_a_mount_namespace_nothing_of_the_host_changes_propagation) {
  auto config = config_of(R"({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"})");
  // What the preflight would refuse is still planned safely: no tree propagation.
  config.linux->rootfs_propagation = "rshared";
  auto plan = plan_of(config, {.no_pivot = true, .shares_host_mounts = true});
  BERTH_ASSERT_STR_EQ(kinds(plan),
                      "bind-rootfs mount devicex6 dev-symlinkx5 before-pivot switch-root");
  cr_expect(std::get<BindRootfs>(plan.prepare[0]).private_in_host_namespace);
  cr_expect(std::get<SwitchRoot>(plan.prepare.back()).how == RootSwitch::Chroot);
}

Test(rootfs_plan, namespaces_the_performer_needs_to_know) {
  auto plan =
      plan_of(config_of("", R"("uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
      "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}])",
                        R"({"type": "user"}, {"type": "cgroup"})"));
  cr_expect(plan.user_namespace);
  cr_expect(plan.cgroup_namespace);
}

// ---- Mount kinds ----

Test(rootfs_plan, bind_of_a_host_path) {
  auto step = only_mount(
      R"({"destination": "/data", "source": "/srv/data", "options": ["bind", "ro", "nosuid"]})");
  cr_expect(step.kind == MountKind::Bind);
  BERTH_ASSERT_STR_EQ(step.source, "/srv/data");
  cr_expect(step.target == TargetKind::LikeSource);
  cr_expect(step.options.bind && !step.options.recursive_bind);
  cr_expect_eq(step.options.flags, MS_RDONLY | MS_NOSUID);
  auto top = step.options.top_attr_change();
  cr_expect_eq(top.set, static_cast<std::uint64_t>(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID));
  BERTH_ASSERT_STR_EQ(step.what, "mount /srv/data on /data");
  cr_expect(step.fstype.empty());
}

Test(rootfs_plan, rbind_and_type_bind) {
  auto rbind = only_mount(R"({"destination": "/a", "source": "/srv", "options": ["rbind"]})");
  cr_expect(rbind.kind == MountKind::Bind && rbind.options.recursive_bind);
  auto typed = only_mount(R"({"destination": "/b", "type": "bind", "source": "/srv"})");
  cr_expect(typed.kind == MountKind::Bind && !typed.options.recursive_bind);
  BERTH_ASSERT_STR_EQ(typed.what, "mount /srv on /b");
}

Test(rootfs_plan, a_bind_without_source_is_refused_before_anything_is_done) {
  spec::Config config = config_of("");
  spec::Mount mount;
  mount.destination = "/x";
  mount.options = {"bind"};
  config.mounts.push_back(mount);
  auto message = errors_of(config);
  cr_expect(message.starts_with("/mounts/0/source: mount bind on /x: a bind mount needs a source"),
            "%s", message.c_str());
}

Test(rootfs_plan, a_mount_with_neither_type_nor_bind_is_refused) {
  spec::Config config = config_of("");
  spec::Mount mount;
  mount.destination = "/y";
  mount.source = "/srv";
  config.mounts.push_back(mount);
  auto message = errors_of(config);
  cr_expect(message.starts_with(
                "/mounts/0/type: mount /srv on /y: a mount that is not a bind needs a type"),
            "%s", message.c_str());
}

Test(rootfs_plan, proc_is_a_new_filesystem_reached_without_symlinks) {
  auto step = only_mount(R"({"destination": "/proc", "type": "proc", "source": "proc",
      "options": ["nosuid", "noexec", "nodev"]})");
  cr_expect(step.kind == MountKind::Filesystem);
  BERTH_ASSERT_STR_EQ(step.fstype, "proc");
  BERTH_ASSERT_STR_EQ(step.source, "proc");
  cr_expect(step.target == TargetKind::Directory);
  cr_expect(step.no_symlinks);
  cr_expect(!step.readonly_superblock && !step.inherit_mode);
  cr_expect_eq(step.options.fsmount_attrs(),
               static_cast<unsigned>(MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODEV |
                                     MOUNT_ATTR_RELATIME));
  BERTH_ASSERT_STR_EQ(step.what, "mount proc on /proc");
}

Test(rootfs_plan, sysfs_read_only_gets_a_read_only_superblock) {
  auto ro = only_mount(R"({"destination": "/sys", "type": "sysfs", "source": "sysfs",
      "options": ["nosuid", "noexec", "nodev", "ro"]})");
  cr_expect(ro.kind == MountKind::Filesystem && ro.no_symlinks && ro.readonly_superblock);
  cr_expect(ro.options.flags & MS_RDONLY);
  auto rw = only_mount(R"({"destination": "/sys", "type": "sysfs", "source": "sysfs"})");
  cr_expect(!rw.readonly_superblock);
}

Test(rootfs_plan, tmpfs_data_and_the_mode_of_what_it_covers) {
  auto with_mode = only_mount(R"({"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
      "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]})");
  cr_expect(with_mode.kind == MountKind::Filesystem);
  cr_expect(!with_mode.inherit_mode);
  cr_expect(!with_mode.no_symlinks);
  BERTH_ASSERT_STR_EQ(with_mode.options.data(), "mode=755,size=65536k");
  cr_expect(with_mode.options.atime == MOUNT_ATTR_STRICTATIME);
  auto without = only_mount(R"({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
      "options": ["size=1m", "modeless"]})");
  cr_expect(without.inherit_mode);
  BERTH_ASSERT_STR_EQ(without.options.data(), "size=1m,modeless");
}

Test(rootfs_plan, devpts_data_passes_through_in_order) {
  auto step = only_mount(R"({"destination": "/dev/pts", "type": "devpts", "source": "devpts",
      "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]})");
  BERTH_ASSERT_STR_EQ(step.fstype, "devpts");
  BERTH_ASSERT_STR_EQ(step.options.data(), "newinstance,ptmxmode=0666,mode=0620,gid=5");
  cr_expect_eq(step.options.flags, MS_NOSUID | MS_NOEXEC);
}

Test(rootfs_plan, overlay_or_any_type_takes_its_data_and_its_source) {
  auto step = only_mount(R"({"destination": "/merged", "type": "overlay", "source": "overlay",
      "options": ["lowerdir=/l1:/l2", "upperdir=/u", "workdir=/w", "ro", "userxattr"]})");
  cr_expect(step.kind == MountKind::Filesystem);
  BERTH_ASSERT_STR_EQ(step.fstype, "overlay");
  BERTH_ASSERT_STR_EQ(step.options.data(), "lowerdir=/l1:/l2,upperdir=/u,workdir=/w,userxattr");
  cr_expect_eq(step.options.flags, static_cast<unsigned long>(MS_RDONLY));
  // No source: the type stands in, as mount(8) shows it.
  auto sourceless = only_mount(R"({"destination": "/m", "type": "ramfs"})");
  BERTH_ASSERT_STR_EQ(sourceless.source, "ramfs");
  BERTH_ASSERT_STR_EQ(sourceless.what, "mount ramfs on /m");
}

Test(rootfs_plan, mqueue_and_the_mount_label) {
  const std::string mqueue = R"({"destination": "/dev/mqueue", "type": "mqueue",
      "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]})";
  const std::string label = R"("mountLabel": "system_u:object_r:container_file_t:s0:c1,c2")";
  auto unlabeled = only_mount(mqueue);
  cr_expect(!unlabeled.selinux_label && !unlabeled.label_root);
  auto own_ipc = only_mount(mqueue, label, R"({"type": "ipc"})");
  BERTH_ASSERT_STR_EQ(own_ipc.selinux_label.value_or(""),
                      "system_u:object_r:container_file_t:s0:c1,c2");
  cr_expect(own_ipc.label_root);
  // The host's IPC namespace, or one the config joins, is not the container's to label.
  cr_expect(!only_mount(mqueue, label).label_root);
  cr_expect(!only_mount(mqueue, label, R"({"type": "ipc", "path": "/proc/1/ns/ipc"})").label_root);
  // Other filesystems take the label as context=, and do not label their root.
  auto tmpfs = only_mount(R"({"destination": "/tmp", "type": "tmpfs"})", label);
  cr_expect(tmpfs.selinux_label.has_value() && !tmpfs.label_root);
  // Binds are not relabeled.
  auto bind = only_mount(R"({"destination": "/b", "source": "/srv", "options": ["bind"]})", label);
  cr_expect(!bind.selinux_label);
}

Test(rootfs_plan, cgroup_follows_the_host_and_cgroup2_is_a_filesystem) {
  auto v1 = only_mount(R"({"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
      "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]})");
  cr_expect(v1.kind == MountKind::Cgroup);
  BERTH_ASSERT_STR_EQ(v1.fstype, "cgroup");
  cr_expect(v1.target == TargetKind::Directory);
  cr_expect_eq(v1.options.flags, MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME | MS_RDONLY);
  auto v2 = only_mount(R"({"destination": "/sys/fs/cgroup", "type": "cgroup2",
      "source": "cgroup2", "options": ["nsdelegate"]})");
  cr_expect(v2.kind == MountKind::Filesystem);
  BERTH_ASSERT_STR_EQ(v2.fstype, "cgroup2");
  BERTH_ASSERT_STR_EQ(v2.source, "cgroup2");
  BERTH_ASSERT_STR_EQ(v2.options.data(), "nsdelegate");
}

Test(rootfs_plan, idmap_and_ridmap_binds_come_from_the_host_side) {
  const std::string maps = R"("uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
      "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}])";
  auto config = config_of(R"({"destination": "/tmp", "type": "tmpfs"},
      {"destination": "/a", "source": "/srv/a", "options": ["bind", "idmap"], )" +
                          maps + R"(},
      {"destination": "/b", "source": "/srv/b", "options": ["rbind", "ridmap"], )" +
                          maps + R"(},
      {"destination": "/c", "source": "/srv/c", "options": ["rbind"], )" +
                          maps + "}");
  auto mounts = steps_of<MountStep>(plan_of(config));
  cr_assert_eq(mounts.size(), 4u);
  for (std::size_t i = 1; i < 4; ++i) {
    cr_expect(mounts[i].kind == MountKind::IdmappedBind, "mount %zu", i);
    cr_expect(mounts[i].target == TargetKind::LikeSource);
    cr_expect_eq(mounts[i].index, i);
  }
  BERTH_ASSERT_STR_EQ(mounts[1].what, "/mounts/1: idmapped mount /srv/a on /a");
  cr_expect(!mounts[1].options.recursive_idmap);
  cr_expect(mounts[2].options.recursive_idmap);
  // Mappings alone on an rbind: the whole tree is mapped.
  cr_expect(mounts[3].options.recursive_idmap);
}

// ---- Option classes on a mount step ----

Test(rootfs_plan, flags_and_access_times) {
  auto step = only_mount(R"({"destination": "/m", "type": "tmpfs",
      "options": ["rw", "nosuid", "nodev", "noexec", "nodiratime", "nosymfollow", "noatime",
                  "sync", "dirsync"]})");
  cr_expect_eq(step.options.flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NODIRATIME |
                                     MS_NOSYMFOLLOW | MS_SYNCHRONOUS | MS_DIRSYNC),
               MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NODIRATIME | MS_NOSYMFOLLOW | MS_SYNCHRONOUS |
                   MS_DIRSYNC);
  cr_expect(step.options.cleared & MS_RDONLY);
  cr_expect(step.options.atime == MOUNT_ATTR_NOATIME);
  auto superblock = step.options.superblock_flags();
  cr_assert_eq(superblock.size(), 2u);
  BERTH_ASSERT_STR_EQ(superblock[0], "sync");
  BERTH_ASSERT_STR_EQ(superblock[1], "dirsync");
  cr_expect(step.options.data_options.empty());
  auto relatime = only_mount(R"({"destination": "/m", "type": "tmpfs", "options": ["relatime"]})");
  cr_expect(relatime.options.atime == MOUNT_ATTR_RELATIME);
}

Test(rootfs_plan, recursive_attributes) {
  auto step = only_mount(R"({"destination": "/r", "source": "/srv", "options": ["rbind", "rro",
      "rnosuid", "rnodev", "rnoexec", "rnosymfollow", "rstrictatime"]})");
  auto change = step.options.recursive_attr_change();
  cr_expect_eq(change.set,
               static_cast<std::uint64_t>(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                          MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOSYMFOLLOW |
                                          MOUNT_ATTR_STRICTATIME));
  cr_expect(change.clear & MOUNT_ATTR__ATIME);
  cr_expect(step.options.top_attr_change().empty());
  auto clearing = only_mount(
      R"({"destination": "/r", "source": "/srv", "options": ["rbind", "rrw", "rsuid", "rexec"]})");
  cr_expect_eq(
      clearing.options.recursive_clear,
      static_cast<std::uint64_t>(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC));
  // On a new filesystem too (applied to the detached tree before it is attached).
  auto tmpfs = only_mount(R"({"destination": "/t", "type": "tmpfs", "options": ["rro"]})");
  cr_expect_eq(tmpfs.options.recursive_set, static_cast<std::uint64_t>(MOUNT_ATTR_RDONLY));
}

Test(rootfs_plan, propagation_in_the_order_given) {
  auto step = only_mount(R"({"destination": "/p", "source": "/srv", "options": ["bind",
      "shared", "rslave", "private", "runbindable", "rshared", "slave", "rprivate",
      "unbindable"]})");
  const std::vector<PropagationChange> expected = {
      {MS_SHARED, false}, {MS_SLAVE, true},  {MS_PRIVATE, false}, {MS_UNBINDABLE, true},
      {MS_SHARED, true},  {MS_SLAVE, false}, {MS_PRIVATE, true},  {MS_UNBINDABLE, false},
  };
  cr_expect(step.options.propagation == expected);
  cr_expect(step.options.data_options.empty());
}

Test(rootfs_plan, tmpcopyup) {
  auto step = only_mount(R"({"destination": "/etc", "type": "tmpfs", "options": ["tmpcopyup"]})");
  cr_expect(step.options.tmpcopyup);
  cr_expect(step.options.data_options.empty());
}

// ---- /dev ----

Test(rootfs_plan, default_devices_then_linux_devices_then_links) {
  auto plan = plan_of(config_of("", R"("devices": [
      {"path": "/dev/net/tun", "type": "c", "major": 10, "minor": 200, "fileMode": 384,
       "uid": 7, "gid": 8},
      {"path": "/dev/loop9", "type": "b", "major": 7, "minor": 9},
      {"path": "/dev/fifo", "type": "p"},
      {"path": "/dev/null", "type": "u", "major": 1, "minor": 3, "fileMode": 432}])"));
  auto devices = steps_of<DeviceStep>(plan);
  cr_assert_eq(devices.size(), 10u);
  const char *defaults[][3] = {{"/dev/null", "1", "3"},    {"/dev/zero", "1", "5"},
                               {"/dev/full", "1", "7"},    {"/dev/random", "1", "8"},
                               {"/dev/urandom", "1", "9"}, {"/dev/tty", "5", "0"}};
  for (std::size_t i = 0; i < 6; ++i) {
    BERTH_ASSERT_STR_EQ(devices[i].path, defaults[i][0]);
    cr_expect_eq(devices[i].mode, static_cast<mode_t>(S_IFCHR | 0666), "%s", defaults[i][0]);
    cr_expect_eq(devices[i].rdev,
                 ::makedev(std::stoul(defaults[i][1]), std::stoul(defaults[i][2])));
    cr_expect(!devices[i].index);
    cr_expect(devices[i].uid == 0u && devices[i].gid == 0u);
    BERTH_ASSERT_STR_EQ(devices[i].what, std::string("create device ") + defaults[i][0]);
  }
  const auto &tun = devices[6];
  cr_expect(tun.index == 0u);
  cr_expect_eq(tun.mode, static_cast<mode_t>(S_IFCHR | 0600));
  cr_expect_eq(tun.rdev, ::makedev(10, 200));
  cr_expect(tun.uid == 7u && tun.gid == 8u);
  BERTH_ASSERT_STR_EQ(tun.what, "/linux/devices/0: create device /dev/net/tun");
  cr_expect_eq(devices[7].mode, static_cast<mode_t>(S_IFBLK | 0666));
  cr_expect_eq(devices[7].rdev, ::makedev(7, 9));
  cr_expect(!devices[7].uid && !devices[7].gid);
  cr_expect_eq(devices[8].mode, static_cast<mode_t>(S_IFIFO | 0666));
  cr_expect_eq(devices[8].rdev, static_cast<dev_t>(0));
  // linux.devices may replace a default one: it comes after it.
  BERTH_ASSERT_STR_EQ(devices[9].path, "/dev/null");
  cr_expect_eq(devices[9].mode, static_cast<mode_t>(S_IFCHR | 0660));
  cr_expect(devices[9].index == 3u);

  auto links = steps_of<DevSymlinkStep>(plan);
  cr_assert_eq(links.size(), 5u);
  const char *expected[][2] = {{"fd", "/proc/self/fd"},
                               {"stdin", "/proc/self/fd/0"},
                               {"stdout", "/proc/self/fd/1"},
                               {"stderr", "/proc/self/fd/2"},
                               {"ptmx", "pts/ptmx"}};
  for (std::size_t i = 0; i < 5; ++i) {
    BERTH_ASSERT_STR_EQ(links[i].name, expected[i][0]);
    BERTH_ASSERT_STR_EQ(links[i].target, expected[i][1]);
    cr_expect_eq(links[i].only_over_devpts, i == 4);
  }
}

Test(rootfs_plan, an_unknown_device_type_names_its_entry) {
  spec::Config config = config_of("");
  config.linux->devices.push_back({"x", "/dev/odd", 1, 1, {}, {}, {}});
  auto message = errors_of(config);
  cr_expect(message.starts_with("/linux/devices/0: create device /dev/odd: unknown device type"),
            "%s", message.c_str());
}

Test(rootfs_plan, a_bind_onto_dev_leaves_dev_as_it_is) {
  auto plan =
      plan_of(config_of(R"({"destination": "/dev", "source": "/dev", "options": ["rbind"]})",
                        R"("devices": [{"path": "/dev/fuse", "type": "c", "major": 10,
                                   "minor": 229}])"));
  cr_expect(steps_of<DeviceStep>(plan).empty());
  cr_expect(steps_of<DevSymlinkStep>(plan).empty());
  // A tmpfs onto /dev/shm is not /dev.
  auto shm = plan_of(config_of(R"({"destination": "/dev/shm", "source": "/srv/shm",
      "options": ["bind"]})"));
  cr_expect_eq(steps_of<DeviceStep>(shm).size(), 6u);
}

Test(rootfs_plan, a_read_only_dev_is_filled_writable_and_made_read_only_at_the_end) {
  auto plan = plan_of(config_of(R"({"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
      "options": ["nosuid", "ro", "mode=755"]})"));
  auto dev = steps_of<MountStep>(plan).at(0);
  cr_expect(!(dev.options.flags & MS_RDONLY));
  cr_expect_eq(dev.options.flags, static_cast<unsigned long>(MS_NOSUID));
  cr_assert_eq(plan.finalize.size(), 1u);
  cr_expect(std::holds_alternative<MakeDevReadonly>(plan.finalize[0]));
  // The last /dev entry is the one the container sees: it decides.
  auto remounted = plan_of(config_of(R"({"destination": "/dev", "type": "tmpfs", "options": ["ro"]},
      {"destination": "/dev/", "type": "tmpfs", "options": ["rw"]})"));
  cr_expect(remounted.finalize.empty());
  // "ro" elsewhere is the mount's own, at once.
  auto elsewhere = only_mount(R"({"destination": "/devices", "type": "tmpfs", "options": ["ro"]})");
  cr_expect(elsewhere.options.flags & MS_RDONLY);
}

// ---- Phase 2 ----

Test(rootfs_plan, finalize_order_dev_readonly_paths_masks_root) {
  auto config = config_of(R"({"destination": "/dev", "type": "tmpfs", "options": ["ro"]})",
                          R"("maskedPaths": ["/proc/kcore", "/sys/firmware"],
                             "readonlyPaths": ["/proc/sys", "/proc/bus"])");
  config.root.readonly = true;
  auto plan = plan_of(config);
  cr_assert_eq(plan.finalize.size(), 4u);
  cr_expect(std::holds_alternative<MakeDevReadonly>(plan.finalize[0]));
  const auto &readonly = std::get<MakePathsReadonly>(plan.finalize[1]).paths;
  cr_expect(readonly == std::vector<std::string>({"/proc/sys", "/proc/bus"}));
  const auto &masked = std::get<MaskPaths>(plan.finalize[2]).paths;
  cr_expect(masked == std::vector<std::string>({"/proc/kcore", "/sys/firmware"}));
  cr_expect(std::holds_alternative<MakeRootReadonly>(plan.finalize[3]));
  // finalize_rootfs plans the same steps from the config alone.
  cr_expect_eq(plan_finalize(config).size(), 4u);
}

Test(rootfs_plan, finalize_has_only_what_the_config_asks_for) {
  auto plan = plan_of(config_of("", R"("maskedPaths": ["/proc/kcore"])"));
  cr_assert_eq(plan.finalize.size(), 1u);
  cr_expect(std::get<MaskPaths>(plan.finalize[0]).paths ==
            std::vector<std::string>({"/proc/kcore"}));
  auto readonly_root = config_of("");
  readonly_root.root.readonly = true;
  auto root_only = plan_of(readonly_root);
  cr_assert_eq(root_only.finalize.size(), 1u);
  cr_expect(std::holds_alternative<MakeRootReadonly>(root_only.finalize[0]));
}
