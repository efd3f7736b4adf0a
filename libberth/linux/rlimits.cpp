// process.rlimits.
#include <sys/resource.h>

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
    if (::setrlimit(static_cast<__rlimit_resource_t>(info->resource), &value) < 0)
      return fail_errno("setrlimit " + limit.type);
  }
  return {};
}

} // namespace berth::linux
