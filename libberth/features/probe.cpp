// Which seccomp filter flags the running kernel accepts, asked without
// installing anything: seccomp(SECCOMP_SET_MODE_FILTER) checks its flags before
// it reads the program, so with a null program a known flag fails with EFAULT
// and an unknown one with EINVAL.
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "features/features.hpp"
#include "tables/seccomp.hpp"

namespace berth::features {
namespace {

bool kernel_accepts(unsigned long flags) {
  long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, nullptr);
  // rc >= 0 cannot happen with a null program; treat it as "accepted" rather
  // than guess otherwise.
  return rc >= 0 || errno == EFAULT;
}

} // namespace

std::vector<std::string_view> kernel_seccomp_flags() {
  std::vector<std::string_view> supported;
  for (const auto &flag : tables::kSeccompFlags) {
    unsigned long flags = flag.kernel_flag;
    // The kernel takes WAIT_KILLABLE_RECV only together with NEW_LISTENER,
    // which is also the only way berth passes it on (seccomp/compile.cpp).
    if (flags == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
      flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    if (kernel_accepts(flags))
      supported.push_back(flag.name);
  }
  return supported;
}

} // namespace berth::features
