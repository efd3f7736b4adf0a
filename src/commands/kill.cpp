#include "commands.hpp"

namespace berth::cli {

// The signal was parsed with the command line (args.cpp), so a bad one fails
// before the container is even looked up.
Result<int> kill_command(const Invocation &invocation) {
  BERTH_TRY(
      container::kill(invocation.global.options, invocation.id, invocation.signal, invocation.all));
  return 0;
}

} // namespace berth::cli
