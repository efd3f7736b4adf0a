// process.scheduler, through sched_setattr(2): the one call that takes every
// field the spec has (policy, nice, priority, flags and the deadline triple).
// glibc has no wrapper, so the call is raw and the struct spelled out.
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

#include "linux/process_attributes.hpp"
#include "tables/process_scheduling.hpp"

namespace berth::linux {
namespace {

// struct sched_attr, SCHED_ATTR_SIZE_VER1 (Linux 5.3, with the utilization
// clamps, which the spec's SCHED_FLAG_UTIL_CLAMP_* flags refer to).
struct SchedAttr {
  std::uint32_t size;
  std::uint32_t sched_policy;
  std::uint64_t sched_flags;
  std::int32_t sched_nice;
  std::uint32_t sched_priority;
  std::uint64_t sched_runtime;
  std::uint64_t sched_deadline;
  std::uint64_t sched_period;
  std::uint32_t sched_util_min;
  std::uint32_t sched_util_max;
};
static_assert(sizeof(SchedAttr) == 56);

} // namespace

Result<void> apply_scheduler(const spec::Scheduler &scheduler) {
  const auto *policy = tables::find_named(tables::kSchedulerPolicies, scheduler.policy);
  if (!policy) // validation refuses this first
    return fail("process.scheduler.policy: unknown policy " + scheduler.policy);
  SchedAttr attr{};
  attr.size = sizeof attr;
  attr.sched_policy = static_cast<std::uint32_t>(policy->value);
  for (const auto &name : scheduler.flags) {
    const auto *flag = tables::find_named(tables::kSchedulerFlags, name);
    if (!flag)
      return fail("process.scheduler.flags: unknown flag " + name);
    attr.sched_flags |= flag->value;
  }
  attr.sched_nice = scheduler.nice.value_or(0);
  attr.sched_priority = static_cast<std::uint32_t>(scheduler.priority.value_or(0));
  attr.sched_runtime = scheduler.runtime.value_or(0);
  attr.sched_deadline = scheduler.deadline.value_or(0);
  attr.sched_period = scheduler.period.value_or(0);
  if (::syscall(SYS_sched_setattr, 0, &attr, 0U) < 0)
    return fail_errno("process.scheduler: sched_setattr " + scheduler.policy + " (nice " +
                      std::to_string(attr.sched_nice) + ", priority " +
                      std::to_string(attr.sched_priority) + ")");
  return {};
}

} // namespace berth::linux
