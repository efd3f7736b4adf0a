// process.oomScoreAdj.
#include <string>

#include "linux/process_setup.hpp"
#include "sys/procfs_write.hpp"

namespace berth::linux {

Result<void> apply_oom_score_adj(int value) {
  BERTH_TRY_ASSIGN(UniqueFd self, sys::open_procfs_dir("/proc/self"));
  return sys::write_procfs_file(self.get(), "oom_score_adj", std::to_string(value),
                                "/proc/self/oom_score_adj");
}

} // namespace berth::linux
