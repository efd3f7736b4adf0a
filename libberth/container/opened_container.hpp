// What the operations on a container's cgroup (pause.cpp, resume.cpp,
// update.cpp, processes.cpp, events.cpp) open first, and how they refuse a
// container in the wrong state.
#pragma once

#include <string>
#include <string_view>

#include "container/lifecycle.hpp"

namespace berth::container {

struct OpenedContainer {
  StateDir dir;
  StoredState state;
  cgroup::Manager cgroups;
};

// The container's state directory (locked with `mode`), its state and its
// cgroup; `needs` names what the caller needs of the cgroup, for the error when
// there is none (rootless without delegation).
Result<OpenedContainer> open_with_cgroup(const GlobalOptions &global, const std::string &id,
                                         LockMode mode, std::string_view needs);

// "cannot <what> container "<id>": it is <status>[: <engine_words>]". engine_words:
// runc's wording for the same refusal ("container not running", "container not
// paused"), which engines and users' scripts match; see docs/engine-messages.md.
std::unexpected<Error> wrong_status(const std::string &what, const std::string &id, Status status,
                                    std::string_view engine_words = {});

} // namespace berth::container
