// The order in which a container process takes on its scheduling and
// execution attributes (process_attributes.hpp says why).
#include "linux/process_attributes.hpp"

namespace berth::linux {

Result<void> apply_process_attributes(const spec::Process &process,
                                      const spec::Personality *personality,
                                      const spec::MemoryPolicy *memory_policy) {
  if (process.io_priority)
    BERTH_TRY(apply_io_priority(*process.io_priority));
  if (process.scheduler)
    BERTH_TRY(apply_scheduler(*process.scheduler));
  if (personality)
    BERTH_TRY(apply_personality(*personality));
  if (memory_policy)
    BERTH_TRY(apply_memory_policy(*memory_policy));
  if (process.exec_cpu_affinity && process.exec_cpu_affinity->final_ &&
      !process.exec_cpu_affinity->final_->empty())
    BERTH_TRY(apply_cpu_list(*process.exec_cpu_affinity->final_, "process.execCPUAffinity.final"));
  return {};
}

} // namespace berth::linux
