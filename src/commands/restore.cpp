#include "commands.hpp"

namespace berth::cli {

// Without --detach berth waits and exits with the container's status, as run.
Result<int> restore_command(const Invocation &invocation) {
  return container::restore(invocation.global.options, invocation.restore_options());
}

} // namespace berth::cli
