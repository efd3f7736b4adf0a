#include "lsm/apparmor.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include "sys/procfs_write.hpp"
#include "sys/syscalls.hpp"

namespace berth::lsm {
namespace {

constexpr const char *kEnabledParameter = "/sys/module/apparmor/parameters/enabled";
// The calling thread's attributes: attr/exec is per task, and /proc/self would
// name the thread group leader's.
constexpr const char *kAttrDir = "/proc/thread-self/attr";

bool read_enabled() {
  // Absent when the kernel has no AppArmor at all; "N" when it is built in but
  // not chosen at boot (lsm=, apparmor=0).
  auto value = sys::read_file(kEnabledParameter, 64);
  return value && value->starts_with('Y');
}

} // namespace

bool apparmor_enabled() {
  static const bool enabled = read_enabled();
  return enabled;
}

std::string apparmor_exec_attr(int attr_dir_fd) {
  // With several LSMs stacked the shared attr/exec belongs to whichever comes
  // first, which need not be AppArmor; its own directory always reaches it.
  struct stat st {};
  if (::fstatat(attr_dir_fd, "apparmor/exec", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
    return "apparmor/exec";
  return "exec";
}

std::string apparmor_exec_request(std::string_view profile) {
  return "exec " + std::string(profile);
}

Result<void> apparmor_set_exec_profile(const std::string &profile) {
  if (profile.empty())
    return {};
  if (!apparmor_enabled())
    return fail("AppArmor is not enabled on this host");
  // The kernel reads the request as text: a NUL would cut the name short and
  // confine the process by another profile than the one asked for.
  if (profile.find('\0') != std::string::npos || profile.find('\n') != std::string::npos)
    return fail("AppArmor profile name contains a NUL or newline", EINVAL);
  BERTH_TRY_ASSIGN(UniqueFd attr, sys::open_procfs_dir(kAttrDir));
  const std::string file = apparmor_exec_attr(attr.get());
  auto written = sys::write_procfs_file(attr.get(), file, apparmor_exec_request(profile),
                                        std::string(kAttrDir) + "/" + file);
  // AppArmor answers ENOENT for a profile it has not loaded, which would read
  // as if the attr file were missing.
  if (!written && written.error().errno_value() == ENOENT)
    written.error().context("no AppArmor profile \"" + profile + "\" is loaded");
  return written;
}

} // namespace berth::lsm
