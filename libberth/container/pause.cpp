// berth pause: freeze every process of the container (its cgroup's freezer).
#include "container/opened_container.hpp"

namespace berth::container {

Result<void> pause(const GlobalOptions &global, const std::string &id) {
  BERTH_TRY_ASSIGN(auto c, open_with_cgroup(global, id, LockMode::Exclusive, "freezer"));
  Status status = current_status(c.state);
  if (status != Status::Running && status != Status::Created)
    return wrong_status("pause", id, status,
                        status == Status::Stopped ? "container not running" : "");
  return c.cgroups.freeze();
}

} // namespace berth::container
