// process.oomScoreAdj.
#include <sys/prctl.h>

#include <cerrno>
#include <string>

#include "linux/process_setup.hpp"
#include "sys/procfs_write.hpp"
#include "sys/syscalls.hpp"

namespace berth::linux {
namespace {

Result<void> write_oom_score_adj(int value) {
  BERTH_TRY_ASSIGN(UniqueFd self, sys::open_procfs_dir("/proc/self"));
  return sys::write_procfs_file(self.get(), "oom_score_adj", std::to_string(value),
                                "/proc/self/oom_score_adj");
}

} // namespace

Result<void> apply_oom_score_adj(int value) {
  auto written = write_oom_score_adj(value);
  // A non-dumpable process's /proc files belong to the host's root: rootless,
  // the process cannot even open its own. Dumpable just for this write (none
  // of the container's code runs yet).
  if (!written && written.error().errno_value() == EACCES &&
      ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0) {
    if (::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
      return fail_errno("make the process dumpable to set its oom_score_adj");
    written = write_oom_score_adj(value);
    if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
      return fail_errno("make the process non-dumpable again");
  }
  // Lowering it needs CAP_SYS_RESOURCE in the host's user namespace: a
  // rootless caller may only raise it.
  if (!written && written.error().errno_value() == EACCES) {
    auto current = sys::read_file("/proc/self/oom_score_adj", 64);
    if (current && !current->empty())
      written.error().context("process.oomScoreAdj " + std::to_string(value) +
                              " is below the current " + current->substr(0, current->find('\n')) +
                              ", and only a privileged caller (not rootless) may lower it");
  }
  return written;
}

} // namespace berth::linux
