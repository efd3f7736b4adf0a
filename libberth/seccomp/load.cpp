// Loading a compiled program into the calling thread, with seccomp(2) itself:
// libseccomp's seccomp_load would need its filter context in the init, and
// would decide flags (no_new_privs, TSYNC) that are the config's to decide.
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "seccomp/filter.hpp"
#include "tables/seccomp.hpp"

namespace berth::seccomp {
namespace {

// "SECCOMP_FILTER_FLAG_LOG|SECCOMP_FILTER_FLAG_NEW_LISTENER"; only built on
// the error path.
std::string flag_names(unsigned long flags) {
  std::string names;
  auto add = [&](std::string_view name, unsigned long flag) {
    if ((flags & flag) == 0)
      return;
    if (!names.empty())
      names += '|';
    names += name;
    flags &= ~flag;
  };
  for (const auto &info : tables::kSeccompFlags)
    add(info.name, info.kernel_flag);
  add("SECCOMP_FILTER_FLAG_NEW_LISTENER", SECCOMP_FILTER_FLAG_NEW_LISTENER);
  if (flags != 0) {
    if (!names.empty())
      names += '|';
    names += std::to_string(flags);
  }
  return names;
}

} // namespace

Result<UniqueFd> load(const Program &program) {
  if (program.instructions.empty() || program.instructions.size() > BPF_MAXINSNS)
    return fail("load seccomp filter: the program has " +
                    std::to_string(program.instructions.size()) + " instructions",
                EINVAL);
  sock_fprog fprog{
      .len = static_cast<unsigned short>(program.instructions.size()),
      // The kernel copies the program and never writes through this pointer.
      .filter = const_cast<sock_filter *>(program.instructions.data()),
  };
  long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, program.flags, &fprog);
  if (rc >= 0) {
    // From here on the filter applies: no allocation, no further call.
    if (program.uses_notify())
      return UniqueFd(static_cast<int>(rc));
    return UniqueFd();
  }
  int err = errno;
  if (err == EACCES)
    return fail("load seccomp filter: needs no_new_privs or CAP_SYS_ADMIN", err);
  if (err == EINVAL && program.flags != 0)
    return fail("load seccomp filter: the kernel may not support the flags " +
                    flag_names(program.flags),
                err);
  return fail("load seccomp filter", err);
}

} // namespace berth::seccomp
