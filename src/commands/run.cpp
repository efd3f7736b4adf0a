#include "commands.hpp"

namespace berth::cli {

// berth exits with the container's own status, as engines expect from `run`.
Result<int> run_command(const Invocation &invocation) {
  return container::run(invocation.global.options, invocation.run_options());
}

} // namespace berth::cli
