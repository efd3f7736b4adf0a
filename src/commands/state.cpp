#include "commands.hpp"

namespace berth::cli {

Result<int> state_command(const Invocation &invocation) {
  BERTH_TRY_ASSIGN(container::State state,
                   container::state(invocation.global.options, invocation.id));
  BERTH_TRY(print(state.to_json() + "\n"));
  return 0;
}

} // namespace berth::cli
