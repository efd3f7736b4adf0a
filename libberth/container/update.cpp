// berth update: new resource limits for a running container (cgroup/apply.cpp
// writes them).
#include "container/opened_container.hpp"

namespace berth::container {

Result<void> update(const GlobalOptions &global, const std::string &id,
                    const spec::Resources &resources) {
  BERTH_TRY_ASSIGN(auto c, open_with_cgroup(global, id, LockMode::Exclusive, "cgroup's limits"));
  Status status = current_status(c.state);
  if (status == Status::Stopped)
    return wrong_status("update", id, status, "container not running");
  return c.cgroups.update(resources);
}

} // namespace berth::container
