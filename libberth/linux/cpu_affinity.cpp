// process.execCPUAffinity: "initial" for the runtime process before the
// container's process joins its cgroup, "final" for the process once it is in
// it (a cpuset cgroup resets the affinity of the tasks that join it).
#include <sched.h>

#include <memory>

#include "linux/process_attributes.hpp"
#include "sys/id_list.hpp"

namespace berth::linux {

Result<void> apply_cpu_list(std::string_view list, std::string_view field) {
  auto cpus = sys::parse_id_list(list);
  if (!cpus) // validation refuses this first
    return fail(std::string(field) + ": not a CPU list: " + std::string(list));
  int count = static_cast<int>(cpus->back()) + 1;
  std::unique_ptr<cpu_set_t, void (*)(cpu_set_t *)> set(CPU_ALLOC(count),
                                                        [](cpu_set_t *s) { CPU_FREE(s); });
  if (!set)
    return fail_errno(std::string(field) + ": allocate a CPU set");
  std::size_t size = CPU_ALLOC_SIZE(count);
  CPU_ZERO_S(size, set.get());
  for (unsigned cpu : *cpus)
    CPU_SET_S(cpu, size, set.get());
  // EINVAL: none of the CPUs is online, or allowed by the cgroup's cpuset.
  if (::sched_setaffinity(0, size, set.get()) < 0)
    return fail_errno(std::string(field) + ": sched_setaffinity to CPUs " + std::string(list));
  return {};
}

Result<void> apply_initial_cpu_affinity(const spec::Process &process) {
  if (!process.exec_cpu_affinity || !process.exec_cpu_affinity->initial ||
      process.exec_cpu_affinity->initial->empty())
    return {};
  return apply_cpu_list(*process.exec_cpu_affinity->initial, "process.execCPUAffinity.initial");
}

} // namespace berth::linux
