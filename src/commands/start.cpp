#include "commands.hpp"

namespace berth::cli {

Result<int> start_command(const Invocation &invocation) {
  BERTH_TRY(container::start(invocation.global.options, invocation.id));
  return 0;
}

} // namespace berth::cli
