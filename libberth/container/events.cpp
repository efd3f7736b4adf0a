// berth events: one sample of a container's status, cgroup statistics and OOM
// kills (the command prints them as JSON lines).
#include "container/opened_container.hpp"

namespace berth::container {

Result<EventSample> sample_events(const GlobalOptions &global, const std::string &id) {
  BERTH_TRY_ASSIGN(auto c, open_with_cgroup(global, id, LockMode::Shared, "cgroup's statistics"));
  EventSample sample;
  sample.status = current_status(c.state);
  BERTH_TRY_ASSIGN(auto stats, c.cgroups.stats());
  sample.stats_json = json::serialize(stats.data);
  BERTH_TRY_ASSIGN(sample.oom_kills, c.cgroups.oom_kill_count());
  return sample;
}

} // namespace berth::container
