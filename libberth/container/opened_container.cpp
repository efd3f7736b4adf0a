#include "container/opened_container.hpp"

namespace berth::container {

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

std::unexpected<Error> wrong_status(const std::string &what, const std::string &id, Status status,
                                    std::string_view engine_words) {
  std::string message =
      "cannot " + what + " container \"" + id + "\": it is " + std::string(status_name(status));
  if (!engine_words.empty())
    message += ": " + std::string(engine_words);
  return fail(message);
}

} // namespace berth::container
