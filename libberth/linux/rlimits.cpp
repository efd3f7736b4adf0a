// process.rlimits.
#include <sys/resource.h>

#include <cerrno>
#include <string>

#include "linux/process_setup.hpp"
#include "tables/rlimits.hpp"

namespace berth::linux {

Result<void> apply_rlimits(const std::vector<spec::Rlimit> &rlimits) {
  for (const auto &limit : rlimits) {
    // The parser has checked the names; this guards callers that built the
    // config some other way.
    const auto *info = tables::find_rlimit(limit.type);
    if (!info)
      return fail("setrlimit " + limit.type + ": unknown resource", EINVAL);
    struct rlimit value {
      .rlim_cur = limit.soft, .rlim_max = limit.hard
    };
    auto resource = static_cast<__rlimit_resource_t>(info->resource);
    if (::setrlimit(resource, &value) < 0) {
      // Raising a hard limit needs CAP_SYS_RESOURCE in the host's user
      // namespace, which a rootless berth does not have: say which limit.
      struct rlimit current {};
      if (errno == EPERM && ::getrlimit(resource, &current) == 0 && limit.hard > current.rlim_max)
        return fail("setrlimit " + limit.type + ": hard limit " + std::to_string(limit.hard) +
                        " is above the current " + std::to_string(current.rlim_max) +
                        ", and only a privileged caller (not rootless) may raise it",
                    EPERM);
      return fail_errno("setrlimit " + limit.type);
    }
  }
  return {};
}

} // namespace berth::linux
