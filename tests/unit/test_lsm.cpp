#include <criterion/criterion.h>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "lsm/apparmor.hpp"
#include "lsm/selinux.hpp"
#include "string_assert.hpp"
#include "sys/unique_fd.hpp"

using namespace berth;

namespace {

constexpr const char *kLabel = "system_u:object_r:container_file_t:s0:c12,c34";
constexpr const char *kQuoted = "context=\"system_u:object_r:container_file_t:s0:c12,c34\"";

std::string with_context(const std::string &data) {
  return data.empty() ? kQuoted : data + "," + kQuoted;
}

// A scratch directory shaped like /proc/<tid>/attr, removed at the end.
class AttrDir {
public:
  AttrDir() {
    char tmpl[] = "/tmp/berth-test-lsm-XXXXXX";
    cr_assert_not_null(::mkdtemp(tmpl));
    path_ = tmpl;
    fd_ = UniqueFd(::open(path_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    cr_assert(fd_.valid());
  }
  AttrDir(const AttrDir &) = delete;
  AttrDir &operator=(const AttrDir &) = delete;
  ~AttrDir() {
    ::unlink((path_ + "/exec").c_str());
    ::unlink((path_ + "/apparmor/exec").c_str());
    ::rmdir((path_ + "/apparmor").c_str());
    ::rmdir(path_.c_str());
  }

  void add_file(const std::string &relative) { std::ofstream(path_ + "/" + relative).put('\n'); }
  void add_dir(const std::string &relative) {
    cr_assert_eq(::mkdir((path_ + "/" + relative).c_str(), 0755), 0);
  }
  int fd() const { return fd_.get(); }

private:
  std::string path_;
  UniqueFd fd_;
};

} // namespace

// --- linux.mountLabel: the context= option ---------------------------------

Test(selinux_mount_data, adds_a_quoted_context_to_the_types_that_take_one) {
  for (const char *type : {"tmpfs", "ramfs", "devpts", "overlay"}) {
    BERTH_ASSERT_STR_EQ(lsm::selinux_format_mount_data(type, "", kLabel), with_context(""));
    BERTH_ASSERT_STR_EQ(lsm::selinux_format_mount_data(type, "mode=755,size=65536k", kLabel),
                        with_context("mode=755,size=65536k"));
  }
}

Test(selinux_mount_data, leaves_other_types_alone) {
  for (const char *type : {"proc", "sysfs", "mqueue", "cgroup", "cgroup2", "bind", "ext4", "nfs",
                           "securityfs", "", "TMPFS"})
    BERTH_ASSERT_STR_EQ(lsm::selinux_format_mount_data(type, "nosuid,mode=755", kLabel),
                        "nosuid,mode=755");
}

Test(selinux_mount_data, an_empty_label_changes_nothing) {
  BERTH_ASSERT_STR_EQ(lsm::selinux_format_mount_data("tmpfs", "mode=755", ""), "mode=755");
  BERTH_ASSERT_STR_EQ(lsm::selinux_format_mount_data("tmpfs", "", ""), "");
}

Test(selinux_mount_data, a_context_in_the_config_wins) {
  for (const char *data : {"context=system_u:object_r:tmp_t:s0",
                           "mode=755,context=\"system_u:object_r:tmp_t:s0:c1,c2\",size=1m",
                           "defcontext=system_u:object_r:tmp_t:s0", "context"})
    BERTH_ASSERT_STR_EQ(lsm::selinux_format_mount_data("tmpfs", data, kLabel), data);
}

Test(selinux_mount_data, fscontext_and_rootcontext_combine_with_context) {
  // Only the key counts: "rootcontext=" and "fscontext=" are other options, and
  // a quoted comma does not start a "context=" option.
  for (const char *data :
       {"fscontext=system_u:object_r:tmp_t:s0", "rootcontext=system_u:object_r:tmp_t:s0",
        "rootcontext=\"system_u:object_r:tmp_t:s0:c1,context=x\"", "mycontext=1"})
    BERTH_ASSERT_STR_EQ(lsm::selinux_format_mount_data("tmpfs", data, kLabel), with_context(data));
}

Test(selinux_mount_options, appends_one_option) {
  auto options = lsm::selinux_format_mount_options("tmpfs", {"mode=755", "size=65536k"}, kLabel);
  cr_assert_eq(options.size(), 3u);
  BERTH_ASSERT_STR_EQ(options[0], "mode=755");
  BERTH_ASSERT_STR_EQ(options[1], "size=65536k");
  BERTH_ASSERT_STR_EQ(options[2], kQuoted);
}

Test(selinux_mount_options, unchanged_where_the_data_form_is) {
  using Options = std::vector<std::string>;
  cr_assert(lsm::selinux_format_mount_options("proc", {"nosuid"}, kLabel) == Options{"nosuid"});
  cr_assert(lsm::selinux_format_mount_options("mqueue", {}, kLabel).empty());
  cr_assert(lsm::selinux_format_mount_options("tmpfs", {"mode=755"}, "") == Options{"mode=755"});
  // One option holds the whole quoted label, commas and all.
  Options given{"context=\"system_u:object_r:tmp_t:s0:c1,c2\""};
  cr_assert(lsm::selinux_format_mount_options("tmpfs", given, kLabel) == given);
  Options fscontext{"fscontext=system_u:object_r:tmp_t:s0"};
  cr_assert_eq(lsm::selinux_format_mount_options("tmpfs", fscontext, kLabel).size(), 2u);
}

Test(selinux_mount_data, disabled_selinux_changes_nothing) {
  if (lsm::selinux_enabled())
    cr_skip_test("SELinux is enabled here");
  BERTH_ASSERT_STR_EQ(lsm::selinux_mount_data("tmpfs", "mode=755", kLabel), "mode=755");
  cr_assert(lsm::selinux_mount_options("tmpfs", {"mode=755"}, kLabel) ==
            std::vector<std::string>{"mode=755"});
}

Test(selinux_mount_data, enabled_selinux_formats) {
  if (!lsm::selinux_enabled())
    cr_skip_test("SELinux is not enabled here");
  BERTH_ASSERT_STR_EQ(lsm::selinux_mount_data("tmpfs", "mode=755", kLabel),
                      with_context("mode=755"));
}

// --- process.selinuxLabel --------------------------------------------------

Test(selinux_exec_label, an_empty_label_is_no_request) {
  cr_assert(lsm::selinux_set_exec_label("").has_value());
}

Test(selinux_exec_label, is_a_no_op_while_selinux_is_disabled) {
  if (lsm::selinux_enabled())
    cr_skip_test("SELinux is enabled here");
  auto set = lsm::selinux_set_exec_label("system_u:system_r:container_t:s0");
  cr_assert(set.has_value(), "%s", set ? "" : set.error().message().c_str());
  cr_assert(lsm::selinux_label_directory(AT_FDCWD, kLabel).has_value());
}

// --- process.apparmorProfile -----------------------------------------------

Test(apparmor, enabled_matches_the_module_parameter) {
  std::ifstream parameter("/sys/module/apparmor/parameters/enabled");
  std::string value;
  const bool expected = parameter && std::getline(parameter, value) && value == "Y";
  cr_assert_eq(lsm::apparmor_enabled(), expected);
}

Test(apparmor, set_exec_profile_fails_clearly_where_apparmor_is_off) {
  if (lsm::apparmor_enabled())
    cr_skip_test("AppArmor is enabled here");
  auto set = lsm::apparmor_set_exec_profile("berth-test");
  cr_assert(!set.has_value());
  BERTH_ASSERT_STR_EQ(set.error().message(), "AppArmor is not enabled on this host");
}

Test(apparmor, an_empty_profile_is_no_request) {
  cr_assert(lsm::apparmor_set_exec_profile("").has_value());
}

Test(apparmor, request_text) {
  BERTH_ASSERT_STR_EQ(lsm::apparmor_exec_request("docker-default"), "exec docker-default");
  BERTH_ASSERT_STR_EQ(lsm::apparmor_exec_request("unconfined"), "exec unconfined");
}

Test(apparmor, attr_file_is_the_shared_one_without_the_lsm_directory) {
  AttrDir attr;
  attr.add_file("exec");
  BERTH_ASSERT_STR_EQ(lsm::apparmor_exec_attr(attr.fd()), "exec");
}

Test(apparmor, attr_file_is_apparmors_own_where_the_kernel_has_it) {
  AttrDir attr;
  attr.add_file("exec");
  attr.add_dir("apparmor");
  attr.add_file("apparmor/exec");
  BERTH_ASSERT_STR_EQ(lsm::apparmor_exec_attr(attr.fd()), "apparmor/exec");
}

Test(apparmor, attr_file_needs_the_file_not_just_the_directory) {
  AttrDir attr;
  attr.add_dir("apparmor");
  BERTH_ASSERT_STR_EQ(lsm::apparmor_exec_attr(attr.fd()), "exec");
}

Test(apparmor, attr_file_on_this_kernel) {
  UniqueFd attr(::open("/proc/thread-self/attr", O_PATH | O_DIRECTORY | O_CLOEXEC));
  cr_assert(attr.valid());
  const bool own = ::access("/proc/thread-self/attr/apparmor/exec", F_OK) == 0;
  BERTH_ASSERT_STR_EQ(lsm::apparmor_exec_attr(attr.get()), own ? "apparmor/exec" : "exec");
}
