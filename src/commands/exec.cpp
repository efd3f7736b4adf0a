#include "commands.hpp"

namespace berth::cli {

// In the foreground berth exits with the process' own status, as runc exec
// does; detached, with 0 once the process runs.
Result<int> exec_command(const Invocation &invocation) {
  return container::exec(invocation.global.options, invocation.exec_options());
}

} // namespace berth::cli
