// process.ioPriority.
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/process_attributes.hpp"
#include "tables/process_scheduling.hpp"

namespace berth::linux {
namespace {

constexpr int kIoprioWhoProcess = 1;  // IOPRIO_WHO_PROCESS
constexpr int kIoprioClassShift = 13; // IOPRIO_CLASS_SHIFT

} // namespace

Result<void> apply_io_priority(const spec::IoPriority &priority) {
  const auto *io_class = tables::find_named(tables::kIoPriorityClasses, priority.io_class);
  if (!io_class) // validation refuses this first
    return fail("process.ioPriority.class: unknown class " + priority.io_class);
  long value = static_cast<long>(io_class->value << kIoprioClassShift) | priority.priority;
  if (::syscall(SYS_ioprio_set, kIoprioWhoProcess, 0, value) < 0)
    return fail_errno("process.ioPriority: ioprio_set " + priority.io_class + " priority " +
                      std::to_string(priority.priority));
  return {};
}

} // namespace berth::linux
