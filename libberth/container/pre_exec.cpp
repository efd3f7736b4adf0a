#include "container/pre_exec.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "lsm/apparmor.hpp"
#include "lsm/selinux.hpp"

namespace berth::container {

Result<void> become_non_dumpable() {
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    return fail_errno("prctl PR_SET_DUMPABLE 0");
  return {};
}

Result<void> apply_lsm_labels(const spec::Process &process) {
  if (process.apparmor_profile)
    BERTH_TRY_CTX(lsm::apparmor_set_exec_profile(*process.apparmor_profile),
                  "apply AppArmor profile " + *process.apparmor_profile);
  if (process.selinux_label)
    BERTH_TRY_CTX(lsm::selinux_set_exec_label(*process.selinux_label),
                  "apply SELinux label " + *process.selinux_label);
  return {};
}

Result<void> close_fds_except(unsigned preserve_fds, std::vector<int> keep) {
  std::sort(keep.begin(), keep.end());
  unsigned next = 3 + preserve_fds;
  for (int fd : keep) {
    if (fd < 0 || static_cast<unsigned>(fd) < next)
      continue;
    if (static_cast<unsigned>(fd) > next &&
        ::syscall(SYS_close_range, next, static_cast<unsigned>(fd) - 1, 0) < 0)
      return fail_errno("close inherited fds");
    next = static_cast<unsigned>(fd) + 1;
  }
  if (::syscall(SYS_close_range, next, ~0U, 0) < 0)
    return fail_errno("close inherited fds");
  return {};
}

Result<void> seal_inherited_fds(unsigned preserve_fds) {
  unsigned first_closed = 3 + preserve_fds;
  if (::syscall(SYS_close_range, first_closed, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    return fail_errno("mark inherited fds close-on-exec");
  for (unsigned fd = 3; fd < first_closed; ++fd) {
    int flags = ::fcntl(static_cast<int>(fd), F_GETFD);
    if (flags >= 0)
      ::fcntl(static_cast<int>(fd), F_SETFD, flags & ~FD_CLOEXEC);
  }
  return {};
}

std::vector<char *> c_strings(const std::vector<std::string> &strings) {
  std::vector<char *> out;
  out.reserve(strings.size() + 1);
  for (const auto &s : strings)
    out.push_back(const_cast<char *>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

} // namespace berth::container
