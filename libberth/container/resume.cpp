// berth resume: thaw a paused container.
#include "container/opened_container.hpp"

namespace berth::container {

Result<void> resume(const GlobalOptions &global, const std::string &id) {
  BERTH_TRY_ASSIGN(auto c, open_with_cgroup(global, id, LockMode::Exclusive, "freezer"));
  Status status = current_status(c.state);
  if (status != Status::Paused)
    return wrong_status("resume", id, status, "container not paused");
  return c.cgroups.thaw();
}

} // namespace berth::container
