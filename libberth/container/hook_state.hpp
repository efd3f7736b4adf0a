// The state a hook gets on its stdin (process/hooks.hpp runs the hooks), made
// from what create recorded in state.json.
#pragma once

#include <string>

#include "container/container.hpp"
#include "container/state_dir.hpp"

namespace berth::container {

// runtime.md "State" for `state` at the moment `status`; no pid once stopped.
std::string hook_state_json(const StoredState &state, Status status);

} // namespace berth::container
