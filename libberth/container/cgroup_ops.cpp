// pause, resume, update, ps and events: the operations that act on the
// container's cgroup rather than on its init.
#include "container/lifecycle.hpp"
#include "container/process_scan.hpp"

namespace berth::container {
namespace {

struct OpenedContainer {
  StateDir dir;
  StoredState state;
  cgroup::Manager cgroups;
};

Result<OpenedContainer> open_with_cgroup(const GlobalOptions &global, const std::string &id,
                                         LockMode mode, std::string_view needs) {
  BERTH_TRY(validate_id(id));
  BERTH_TRY_ASSIGN(StateDir dir, StateDir::open(global.root, id, mode));
  BERTH_TRY_ASSIGN(StoredState state, dir.read());
  BERTH_TRY_ASSIGN(auto cgroups, container_cgroup(state));
  // Rootless without a delegated cgroup: the freezer, limits and statistics
  // these operations use do not exist.
  if (!cgroups)
    return fail("container \"" + id + "\" has no cgroup (created rootless, where the cgroup " +
                "was not delegated): this needs its " + std::string(needs));
  return OpenedContainer{std::move(dir), std::move(state), std::move(*cgroups)};
}

// engine_words: runc's wording for the same refusal ("container not
// running", "container not paused"), which engines and users' scripts match;
// see docs/engine-messages.md.
std::unexpected<Error> wrong_status(const std::string &what, const std::string &id, Status status,
                                    std::string_view engine_words = {}) {
  std::string message =
      "cannot " + what + " container \"" + id + "\": it is " + std::string(status_name(status));
  if (!engine_words.empty())
    message += ": " + std::string(engine_words);
  return fail(message);
}

} // namespace

Result<void> pause(const GlobalOptions &global, const std::string &id) {
  BERTH_TRY_ASSIGN(auto c, open_with_cgroup(global, id, LockMode::Exclusive, "freezer"));
  Status status = current_status(c.state);
  if (status != Status::Running && status != Status::Created)
    return wrong_status("pause", id, status,
                        status == Status::Stopped ? "container not running" : "");
  return c.cgroups.freeze();
}

Result<void> resume(const GlobalOptions &global, const std::string &id) {
  BERTH_TRY_ASSIGN(auto c, open_with_cgroup(global, id, LockMode::Exclusive, "freezer"));
  Status status = current_status(c.state);
  if (status != Status::Paused)
    return wrong_status("resume", id, status, "container not paused");
  return c.cgroups.thaw();
}

Result<void> update(const GlobalOptions &global, const std::string &id,
                    const spec::Resources &resources) {
  BERTH_TRY_ASSIGN(auto c, open_with_cgroup(global, id, LockMode::Exclusive, "cgroup's limits"));
  Status status = current_status(c.state);
  if (status == Status::Stopped)
    return wrong_status("update", id, status, "container not running");
  return c.cgroups.update(resources);
}

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
