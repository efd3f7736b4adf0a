#include <criterion/criterion.h>

#include <string>
#include <vector>

#include "linux/mount_options.hpp"

using namespace berth;
using linux::MountPlan;

namespace {

MountPlan plan_of(std::vector<std::string> options) {
  return linux::plan_mount_options(options);
}

} // namespace

Test(mount_options, empty_options_change_nothing) {
  auto plan = plan_of({});
  cr_expect_eq(plan.flags, 0ul);
  cr_expect_eq(plan.cleared, 0ul);
  cr_expect(!plan.atime);
  cr_expect(plan.data_options.empty());
  cr_expect(plan.propagation.empty());
  cr_expect(!plan.bind && !plan.recursive_bind && !plan.idmap && !plan.tmpcopyup);
  cr_expect(plan.top_attr_change().empty());
  cr_expect(plan.recursive_attr_change().empty());
  cr_expect_eq(plan.fsmount_attrs(), static_cast<unsigned>(MOUNT_ATTR_RELATIME));
}

Test(mount_options, defaults_is_no_flag) {
  auto plan = plan_of({"defaults"});
  cr_expect_eq(plan.flags, 0ul);
  cr_expect(plan.data_options.empty());
}

Test(mount_options, classic_flags_are_set) {
  auto plan = plan_of({"ro", "nosuid", "nodev", "noexec", "nodiratime", "nosymfollow"});
  cr_expect_eq(plan.flags, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NODIRATIME |
                               static_cast<unsigned long>(MS_NOSYMFOLLOW));
  cr_expect_eq(plan.fsmount_attrs(),
               static_cast<unsigned>(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                     MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODIRATIME |
                                     MOUNT_ATTR_NOSYMFOLLOW));
  auto top = plan.top_attr_change();
  cr_expect_eq(top.set, static_cast<std::uint64_t>(plan.fsmount_attrs()));
  cr_expect_eq(top.clear, 0u);
}

Test(mount_options, a_later_option_clears_an_earlier_one) {
  auto plan = plan_of({"ro", "nosuid", "rw", "suid"});
  cr_expect_eq(plan.flags, 0ul);
  cr_expect_eq(plan.cleared, MS_RDONLY | MS_NOSUID);
  auto top = plan.top_attr_change();
  cr_expect_eq(top.set, 0u);
  cr_expect_eq(top.clear, static_cast<std::uint64_t>(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID));
}

Test(mount_options, a_later_option_sets_again_what_was_cleared) {
  auto plan = plan_of({"rw", "dev", "exec", "ro", "nodev", "noexec"});
  cr_expect_eq(plan.flags, MS_RDONLY | MS_NODEV | MS_NOEXEC);
  cr_expect_eq(plan.cleared, 0ul);
}

Test(mount_options, clearing_options_alone) {
  auto plan = plan_of({"rw", "suid", "dev", "exec", "diratime", "symfollow"});
  cr_expect_eq(plan.flags, 0ul);
  auto top = plan.top_attr_change();
  cr_expect_eq(top.clear, static_cast<std::uint64_t>(
                              MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                              MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW));
}

Test(mount_options, access_time_last_one_wins) {
  cr_expect_eq(*plan_of({"noatime"}).atime, static_cast<std::uint64_t>(MOUNT_ATTR_NOATIME));
  cr_expect_eq(*plan_of({"noatime", "strictatime"}).atime,
               static_cast<std::uint64_t>(MOUNT_ATTR_STRICTATIME));
  cr_expect_eq(*plan_of({"strictatime", "relatime"}).atime,
               static_cast<std::uint64_t>(MOUNT_ATTR_RELATIME));
  cr_expect_eq(*plan_of({"noatime", "atime"}).atime,
               static_cast<std::uint64_t>(MOUNT_ATTR_RELATIME));
  cr_expect_eq(*plan_of({"norelatime"}).atime, static_cast<std::uint64_t>(MOUNT_ATTR_STRICTATIME));
  cr_expect_eq(*plan_of({"strictatime", "nostrictatime"}).atime,
               static_cast<std::uint64_t>(MOUNT_ATTR_RELATIME));
}

Test(mount_options, access_time_change_clears_the_whole_field) {
  auto plan = plan_of({"nosuid", "strictatime"});
  auto top = plan.top_attr_change();
  cr_expect_eq(top.set, static_cast<std::uint64_t>(MOUNT_ATTR_NOSUID | MOUNT_ATTR_STRICTATIME));
  cr_expect_eq(top.clear, static_cast<std::uint64_t>(MOUNT_ATTR__ATIME));
  cr_expect_eq(plan.fsmount_attrs(),
               static_cast<unsigned>(MOUNT_ATTR_NOSUID | MOUNT_ATTR_STRICTATIME));
}

Test(mount_options, unknown_options_are_filesystem_data_in_order) {
  auto plan = plan_of({"nosuid", "mode=755", "size=65536k", "newinstance", "context=\"a,b\""});
  cr_expect_eq(plan.flags, MS_NOSUID);
  cr_expect_eq(plan.data_options.size(), 4u);
  cr_expect_eq(plan.data(), std::string("mode=755,size=65536k,newinstance,context=\"a,b\""));
}

Test(mount_options, superblock_flags_by_fsconfig_name) {
  auto plan = plan_of({"sync", "dirsync", "lazytime", "mand"});
  auto names = plan.superblock_flags();
  cr_expect_eq(names, (std::vector<std::string>{"sync", "dirsync", "lazytime", "mand"}));
  cr_expect_eq(plan.fsmount_attrs(), static_cast<unsigned>(MOUNT_ATTR_RELATIME));
  cr_expect(plan_of({"sync", "async", "lazytime", "nolazytime"}).superblock_flags().empty());
}

Test(mount_options, flags_no_attribute_expresses) {
  cr_expect_eq(plan_of({"silent", "iversion", "remount"}).unsupported_flags(),
               MS_SILENT | MS_I_VERSION | MS_REMOUNT);
  cr_expect_eq(plan_of({"silent", "loud", "iversion", "noiversion"}).unsupported_flags(), 0ul);
  cr_expect_eq(plan_of({"ro", "nosuid", "sync"}).unsupported_flags(), 0ul);
}

Test(mount_options, bind_and_rbind) {
  auto bind = plan_of({"bind", "ro"});
  cr_expect(bind.bind);
  cr_expect(!bind.recursive_bind);
  cr_expect_eq(bind.flags, MS_RDONLY); // MS_BIND is not a flag of the plan
  auto rbind = plan_of({"rbind"});
  cr_expect(rbind.bind);
  cr_expect(rbind.recursive_bind);
  cr_expect_eq(rbind.flags, 0ul);
  auto both = plan_of({"rbind", "bind"});
  cr_expect(both.recursive_bind);
}

Test(mount_options, type_bind_is_a_bind) {
  spec::Mount mount;
  mount.destination = "/data";
  mount.type = "bind";
  mount.source = "/srv";
  mount.options = {"ro"};
  auto plan = linux::plan_mount(mount);
  cr_expect(plan.bind);
  cr_expect(!plan.recursive_bind);
  mount.type = "tmpfs";
  cr_expect(!linux::plan_mount(mount).bind);
  mount.type.reset();
  mount.options = {"rbind"};
  cr_expect(linux::plan_mount(mount).recursive_bind);
}

Test(mount_options, propagation_in_order) {
  auto plan = plan_of(
      {"rprivate", "shared", "rslave", "unbindable", "runbindable", "private", "rshared", "slave"});
  std::vector<linux::PropagationChange> expected = {
      {MS_PRIVATE, true},    {MS_SHARED, false},  {MS_SLAVE, true},  {MS_UNBINDABLE, false},
      {MS_UNBINDABLE, true}, {MS_PRIVATE, false}, {MS_SHARED, true}, {MS_SLAVE, false},
  };
  cr_expect_eq(plan.propagation, expected);
  cr_expect_eq(plan.flags, 0ul);
  cr_expect(plan.data_options.empty());
}

Test(mount_options, recursive_attributes) {
  auto plan = plan_of({"rro", "rnosuid", "rnodev", "rnoexec", "rnodiratime", "rnosymfollow"});
  auto change = plan.recursive_attr_change();
  cr_expect_eq(change.set, static_cast<std::uint64_t>(
                               MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                               MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW));
  cr_expect_eq(change.clear, 0u);
  cr_expect_eq(plan.flags, 0ul); // recursive options do not touch the top-level flags
  cr_expect(plan.top_attr_change().empty());
}

Test(mount_options, recursive_clearing) {
  auto plan = plan_of({"rro", "rrw", "rsuid", "rdev", "rexec", "rdiratime", "rsymfollow"});
  auto change = plan.recursive_attr_change();
  cr_expect_eq(change.set, 0u);
  cr_expect_eq(change.clear,
               static_cast<std::uint64_t>(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                          MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODIRATIME |
                                          MOUNT_ATTR_NOSYMFOLLOW));
}

Test(mount_options, recursive_access_time) {
  auto noatime = plan_of({"rnoatime"}).recursive_attr_change();
  cr_expect_eq(noatime.set, static_cast<std::uint64_t>(MOUNT_ATTR_NOATIME));
  cr_expect_eq(noatime.clear, static_cast<std::uint64_t>(MOUNT_ATTR__ATIME));
  cr_expect_eq(*plan_of({"rnoatime", "rstrictatime"}).recursive_atime,
               static_cast<std::uint64_t>(MOUNT_ATTR_STRICTATIME));
  cr_expect_eq(*plan_of({"rstrictatime", "rrelatime"}).recursive_atime,
               static_cast<std::uint64_t>(MOUNT_ATTR_RELATIME));
  cr_expect_eq(*plan_of({"rnoatime", "ratime"}).recursive_atime,
               static_cast<std::uint64_t>(MOUNT_ATTR_RELATIME));
  cr_expect_eq(*plan_of({"rnorelatime"}).recursive_atime,
               static_cast<std::uint64_t>(MOUNT_ATTR_STRICTATIME));
  cr_expect_eq(*plan_of({"rstrictatime", "rnostrictatime"}).recursive_atime,
               static_cast<std::uint64_t>(MOUNT_ATTR_RELATIME));
  cr_expect(!plan_of({"noatime"}).recursive_atime);
}

Test(mount_options, idmap_and_tmpcopyup) {
  auto idmap = plan_of({"idmap"});
  cr_expect(idmap.idmap);
  cr_expect(!idmap.recursive_idmap);
  auto ridmap = plan_of({"ridmap"});
  cr_expect(ridmap.idmap);
  cr_expect(ridmap.recursive_idmap);
  auto copyup = plan_of({"tmpcopyup", "mode=1777"});
  cr_expect(copyup.tmpcopyup);
  cr_expect_eq(copyup.data(), std::string("mode=1777"));
}

namespace {
spec::Mount mount_with_mappings(std::vector<std::string> options) {
  spec::Mount mount;
  mount.destination = "/data";
  mount.source = "/src";
  mount.options = std::move(options);
  mount.uid_mappings = {{.container_id = 0, .host_id = 1000, .size = 1}};
  mount.gid_mappings = {{.container_id = 0, .host_id = 1000, .size = 1}};
  return mount;
}
} // namespace

Test(mount_options, mappings_alone_ask_for_an_idmapped_mount_as_deep_as_the_bind) {
  auto rbind = linux::plan_mount(mount_with_mappings({"rbind"}));
  cr_expect(rbind.idmap && rbind.recursive_idmap);
  auto bind = linux::plan_mount(mount_with_mappings({"bind"}));
  cr_expect(bind.idmap && !bind.recursive_idmap);
  // The options say how deep, whatever the bind is.
  auto top_only = linux::plan_mount(mount_with_mappings({"rbind", "idmap"}));
  cr_expect(top_only.idmap && !top_only.recursive_idmap && top_only.recursive_bind);
  auto every = linux::plan_mount(mount_with_mappings({"bind", "ridmap"}));
  cr_expect(every.idmap && every.recursive_idmap && !every.recursive_bind);
  spec::Mount plain = mount_with_mappings({"rbind"});
  plain.uid_mappings.clear();
  plain.gid_mappings.clear();
  cr_expect(!linux::plan_mount(plain).idmap);
}

Test(mount_options, a_typical_runtime_spec_set) {
  // The /dev mount of the default config.json: everything lands in its place.
  auto plan = plan_of({"nosuid", "strictatime", "mode=755", "size=65536k"});
  cr_expect_eq(plan.flags, MS_NOSUID | MS_STRICTATIME);
  cr_expect_eq(plan.data(), std::string("mode=755,size=65536k"));
  cr_expect_eq(plan.fsmount_attrs(),
               static_cast<unsigned>(MOUNT_ATTR_NOSUID | MOUNT_ATTR_STRICTATIME));
}
