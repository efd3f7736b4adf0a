// apply_credentials and apply_no_new_privileges, each in a forked child (the
// machine runs the tests as root), read back from /proc/self/status.
#include <criterion/criterion.h>

#include <sched.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "fork_child.hpp"
#include "linux/capabilities.hpp"
#include "linux/process_setup.hpp"
#include "string_assert.hpp"
#include "sys/syscalls.hpp"
#include "tables/capabilities.hpp"

using namespace berth;
using test::field;
using test::run_in_child;

namespace {

std::uint64_t mask_of(std::initializer_list<const char *> names) {
  std::uint64_t mask = 0;
  for (const char *name : names)
    mask |= std::uint64_t{1} << tables::find_capability(name)->number;
  return mask;
}

std::string hex(std::uint64_t mask) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(mask));
  return buf;
}

// Applies the process's credentials in a child and reports the status lines,
// the warnings, or the error.
std::string apply_in_child(const spec::Process &process) {
  return run_in_child([&] {
    std::vector<std::string> warnings;
    auto applied = linux::apply_credentials(process, warnings);
    if (!applied)
      return "ERR " + applied.error().message();
    std::string report = test::status_lines(
        {"Uid", "Gid", "Groups", "Umask", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"});
    for (const auto &warning : warnings)
      report += "Warning\t" + warning + "\n";
    return report;
  });
}

std::string own_status(const char *key) {
  return field(run_in_child([&] { return test::status_lines({key}); }), key);
}

} // namespace

Test(credentials, non_root_user_with_all_five_sets) {
  spec::Process process;
  process.user.uid = 1000;
  process.user.gid = 1001;
  process.user.additional_gids = {20, 10};
  process.user.umask = 027;
  process.capabilities = spec::Capabilities{
      .bounding = {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"},
      .effective = {"CAP_KILL", "CAP_NET_BIND_SERVICE"},
      .inheritable = {"CAP_NET_BIND_SERVICE"},
      .permitted = {"CAP_KILL", "CAP_NET_BIND_SERVICE"},
      .ambient = {"CAP_NET_BIND_SERVICE"},
  };
  std::string report = apply_in_child(process);
  cr_assert(!report.starts_with("ERR"), "%s", report.c_str());
  BERTH_ASSERT_STR_EQ(field(report, "Uid").c_str(), "1000\t1000\t1000\t1000");
  BERTH_ASSERT_STR_EQ(field(report, "Gid").c_str(), "1001\t1001\t1001\t1001");
  BERTH_ASSERT_STR_EQ(field(report, "Groups").c_str(), "10 20");
  BERTH_ASSERT_STR_EQ(field(report, "Umask").c_str(), "0027");
  BERTH_ASSERT_STR_EQ(field(report, "CapBnd").c_str(),
                      hex(mask_of({"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"})).c_str());
  BERTH_ASSERT_STR_EQ(field(report, "CapEff").c_str(),
                      hex(mask_of({"CAP_KILL", "CAP_NET_BIND_SERVICE"})).c_str());
  BERTH_ASSERT_STR_EQ(field(report, "CapPrm").c_str(),
                      hex(mask_of({"CAP_KILL", "CAP_NET_BIND_SERVICE"})).c_str());
  BERTH_ASSERT_STR_EQ(field(report, "CapInh").c_str(),
                      hex(mask_of({"CAP_NET_BIND_SERVICE"})).c_str());
  BERTH_ASSERT_STR_EQ(field(report, "CapAmb").c_str(),
                      hex(mask_of({"CAP_NET_BIND_SERVICE"})).c_str());
}

Test(credentials, root_with_a_reduced_set_and_no_inheritable) {
  spec::Process process;
  std::vector<std::string> some = {"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_SETUID", "CAP_SETGID",
                                   "CAP_SYS_CHROOT"};
  process.capabilities = spec::Capabilities{
      .bounding = some, .effective = some, .inheritable = {}, .permitted = some, .ambient = {}};
  std::string report = apply_in_child(process);
  cr_assert(!report.starts_with("ERR"), "%s", report.c_str());
  std::string expected =
      hex(mask_of({"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_SETUID", "CAP_SETGID", "CAP_SYS_CHROOT"}));
  BERTH_ASSERT_STR_EQ(field(report, "Uid").c_str(), "0\t0\t0\t0");
  BERTH_ASSERT_STR_EQ(field(report, "Groups").c_str(), "");
  BERTH_ASSERT_STR_EQ(field(report, "Umask").c_str(), "0022", "the default umask");
  BERTH_ASSERT_STR_EQ(field(report, "CapBnd").c_str(), expected.c_str());
  BERTH_ASSERT_STR_EQ(field(report, "CapEff").c_str(), expected.c_str());
  BERTH_ASSERT_STR_EQ(field(report, "CapPrm").c_str(), expected.c_str());
  // CVE-2022-29162: nothing inheritable that the config did not ask for.
  BERTH_ASSERT_STR_EQ(field(report, "CapInh").c_str(), hex(0).c_str());
  BERTH_ASSERT_STR_EQ(field(report, "CapAmb").c_str(), hex(0).c_str());
}

Test(credentials, empty_capabilities_drop_everything) {
  spec::Process process;
  process.capabilities = spec::Capabilities{};
  std::string report = apply_in_child(process);
  cr_assert(!report.starts_with("ERR"), "%s", report.c_str());
  for (const char *set : {"CapBnd", "CapEff", "CapPrm", "CapInh", "CapAmb"})
    BERTH_ASSERT_STR_EQ(field(report, set).c_str(), hex(0).c_str(), "%s", set);
}

Test(credentials, no_capabilities_object_keeps_what_the_process_has) {
  std::string before_eff = own_status("CapEff");
  std::string before_bnd = own_status("CapBnd");
  spec::Process process; // uid 0, no capabilities
  std::string report = apply_in_child(process);
  cr_assert(!report.starts_with("ERR"), "%s", report.c_str());
  BERTH_ASSERT_STR_EQ(field(report, "CapEff").c_str(), before_eff.c_str());
  BERTH_ASSERT_STR_EQ(field(report, "CapBnd").c_str(), before_bnd.c_str());
  BERTH_ASSERT_STR_EQ(field(report, "CapInh").c_str(), hex(0).c_str());
}

Test(credentials, unknown_and_unsupported_names_are_warned_and_skipped) {
  spec::Process process;
  process.capabilities = spec::Capabilities{
      .bounding = {"CAP_KILL", "CAP_NOT_A_THING"},
      .effective = {"CAP_KILL", "CAP_NOT_A_THING"},
      .inheritable = {},
      .permitted = {"CAP_KILL", "CAP_NOT_A_THING"},
      .ambient = {},
  };
  std::string report = apply_in_child(process);
  cr_assert(!report.starts_with("ERR"), "%s", report.c_str());
  BERTH_ASSERT_STR_EQ(field(report, "CapEff").c_str(), hex(mask_of({"CAP_KILL"})).c_str());
  BERTH_ASSERT_STR_EQ(field(report, "Warning").c_str(),
                      "capability CAP_NOT_A_THING is unknown; skipped");
  // One warning per name, however many sets list it.
  cr_assert_eq(report.find("Warning", report.find("Warning") + 1), std::string::npos);

  // A kernel that stops at CAP_PERFMON (38) lacks the last two the table knows.
  std::vector<std::string> warnings;
  spec::Capabilities names{.bounding = {"CAP_BPF", "CAP_PERFMON", "CAP_CHECKPOINT_RESTORE"}};
  auto sets = linux::resolve_capabilities(names, 38, warnings);
  cr_assert_eq(sets.bounding, mask_of({"CAP_PERFMON"}));
  cr_assert_eq(warnings.size(), 2u);
  BERTH_ASSERT_STR_EQ(warnings[0].c_str(), "capability CAP_BPF is not supported by the running "
                                           "kernel (its last is CAP_PERFMON); skipped");
}

Test(credentials, running_kernel_last_cap_matches_procfs) {
  auto text = sys::read_file("/proc/sys/kernel/cap_last_cap");
  cr_assert(text.has_value());
  cr_assert_eq(linux::running_kernel_last_cap(), static_cast<unsigned>(std::stoul(*text)));
}

Test(credentials, effective_outside_permitted_is_refused) {
  spec::Process process;
  process.capabilities = spec::Capabilities{
      .bounding = {"CAP_KILL", "CAP_CHOWN"},
      .effective = {"CAP_KILL", "CAP_CHOWN"},
      .inheritable = {},
      .permitted = {"CAP_KILL"},
      .ambient = {},
  };
  std::string report = apply_in_child(process);
  BERTH_ASSERT_STR_EQ(report.c_str(),
                      "ERR /process/capabilities/effective: CAP_CHOWN not in the permitted set");
}

Test(credentials, ambient_without_inheritable_is_skipped_with_a_warning) {
  spec::Process process;
  process.user.uid = 1000;
  process.capabilities = spec::Capabilities{
      .bounding = {"CAP_KILL"},
      .effective = {"CAP_KILL"},
      .inheritable = {},
      .permitted = {"CAP_KILL"},
      .ambient = {"CAP_KILL"},
  };
  std::string report = apply_in_child(process);
  cr_assert(!report.starts_with("ERR"), "%s", report.c_str());
  BERTH_ASSERT_STR_EQ(field(report, "CapAmb").c_str(), "0000000000000000");
  BERTH_ASSERT_STR_EQ(field(report, "CapEff").c_str(), hex(mask_of({"CAP_KILL"})).c_str());
  BERTH_ASSERT_STR_EQ(field(report, "Warning").c_str(),
                      "ambient capability CAP_KILL skipped: it is not both permitted and "
                      "inheritable");
}

Test(credentials, non_root_without_capabilities_object) {
  spec::Process process;
  process.user.uid = 65534;
  process.user.gid = 65534;
  std::string report = apply_in_child(process);
  cr_assert(!report.starts_with("ERR"), "%s", report.c_str());
  BERTH_ASSERT_STR_EQ(field(report, "Uid").c_str(), "65534\t65534\t65534\t65534");
  BERTH_ASSERT_STR_EQ(field(report, "Gid").c_str(), "65534\t65534\t65534\t65534");
  BERTH_ASSERT_STR_EQ(field(report, "Groups").c_str(), "", "the runtime's groups are dropped");
  // Leaving uid 0 empties the effective set; nothing is made inheritable.
  BERTH_ASSERT_STR_EQ(field(report, "CapEff").c_str(), hex(0).c_str());
  BERTH_ASSERT_STR_EQ(field(report, "CapInh").c_str(), hex(0).c_str());
}

// In a user namespace with setgroups denied, the groups can only be left alone.
Test(credentials, setgroups_denied_only_fails_when_groups_are_asked) {
  auto in_user_ns = [](std::vector<std::uint32_t> groups) {
    return run_in_child([&] {
      if (::unshare(CLONE_NEWUSER) < 0)
        return std::string("ERR unshare");
      if (!sys::write_file("/proc/self/setgroups", "deny") ||
          !sys::write_file("/proc/self/uid_map", "0 0 1") ||
          !sys::write_file("/proc/self/gid_map", "0 0 1"))
        return std::string("ERR maps");
      spec::Process process;
      process.user.additional_gids = groups;
      std::vector<std::string> warnings;
      auto applied = linux::apply_credentials(process, warnings);
      return applied ? std::string("OK") : "ERR " + applied.error().message();
    });
  };
  BERTH_ASSERT_STR_EQ(in_user_ns({}).c_str(), "OK");
  BERTH_ASSERT_STR_EQ(
      in_user_ns({0}).c_str(),
      "ERR setgroups [0]: the user namespace denies setgroups (/proc/self/setgroups "
      "is \"deny\"): Operation not permitted");
}

Test(credentials, no_new_privileges) {
  std::string report = run_in_child([] {
    auto applied = linux::apply_no_new_privileges();
    if (!applied)
      return "ERR " + applied.error().message();
    return test::status_lines({"NoNewPrivs"});
  });
  BERTH_ASSERT_STR_EQ(field(report, "NoNewPrivs").c_str(), "1");
}

// The permitted set can only shrink: asking for one the process lacks fails
// while the credentials are planned (during create), and names it.
Test(credentials, permitted_beyond_what_the_process_has_is_named) {
  std::string report = run_in_child([] {
    // Keep a few capabilities first, standing in for a runtime without CAP_SYS_TIME.
    spec::Process first;
    std::vector<std::string> kept = {"CAP_KILL", "CAP_CHOWN", "CAP_SETUID", "CAP_SETGID"};
    first.capabilities = spec::Capabilities{.bounding = kept, .effective = kept, .permitted = kept};
    std::vector<std::string> warnings;
    if (auto dropped = linux::apply_credentials(first, warnings); !dropped)
      return "ERR first: " + dropped.error().message();
    spec::Process second;
    std::vector<std::string> wanted = {"CAP_KILL", "CAP_SYS_TIME"};
    second.capabilities =
        spec::Capabilities{.bounding = kept, .effective = wanted, .permitted = wanted};
    auto applied = linux::apply_credentials(second, warnings);
    return applied ? std::string("OK") : "ERR " + applied.error().message();
  });
  BERTH_ASSERT_STR_EQ(report, "ERR /process/capabilities/permitted: CAP_SYS_TIME not permitted to "
                              "the runtime itself: Operation not permitted");
}

// Without CAP_SETPCAP the bounding set cannot shrink; that must fail, not pass
// with the capabilities still there.
Test(credentials, bounding_drop_without_setpcap_fails) {
  std::string report = run_in_child([] {
    spec::Process first;
    std::vector<std::string> kept = {"CAP_KILL", "CAP_CHOWN", "CAP_SETUID", "CAP_SETGID"};
    first.capabilities = spec::Capabilities{.bounding = kept, .effective = kept, .permitted = kept};
    std::vector<std::string> warnings;
    if (auto dropped = linux::apply_credentials(first, warnings); !dropped)
      return "ERR first: " + dropped.error().message();
    spec::Process second;
    second.capabilities = spec::Capabilities{.bounding = {"CAP_KILL", "CAP_SETUID", "CAP_SETGID"}};
    auto applied = linux::apply_credentials(second, warnings);
    return applied ? std::string("OK") : "ERR " + applied.error().message();
  });
  cr_assert(report.starts_with("ERR drop CAP_CHOWN from the bounding set (needs CAP_SETPCAP)"),
            "%s", report.c_str());
}
