#include "container/hook_state.hpp"

#include "process/hooks.hpp"

namespace berth::container {

std::string hook_state_json(const StoredState &state, Status status) {
  process::HookState hook_state;
  hook_state.oci_version = state.oci_version;
  hook_state.id = state.id;
  hook_state.status = std::string(status_name(status));
  hook_state.pid = status == Status::Stopped ? 0 : state.init.pid;
  hook_state.bundle = state.bundle;
  hook_state.annotations = state.annotations;
  return hook_state.to_json();
}

} // namespace berth::container
