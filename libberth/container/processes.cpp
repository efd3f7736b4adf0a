// berth ps: the pids of a container's processes, from its cgroup (or, without
// one, by scanning /proc: process_scan.hpp).
#include "container/opened_container.hpp"
#include "container/process_scan.hpp"

namespace berth::container {

Result<std::vector<int>> processes(const GlobalOptions &global, const std::string &id) {
  BERTH_TRY(validate_id(id));
  {
    BERTH_TRY_ASSIGN(StateDir dir, StateDir::open(global.root, id, LockMode::Shared));
    BERTH_TRY_ASSIGN(StoredState state, dir.read());
    if (state.cgroup.is_null())
      return processes_without_cgroup(state);
  }
  BERTH_TRY_ASSIGN(auto c, open_with_cgroup(global, id, LockMode::Shared, "cgroup"));
  BERTH_TRY_ASSIGN(auto pids, c.cgroups.pids());
  return std::vector<int>(pids.begin(), pids.end());
}

} // namespace berth::container
