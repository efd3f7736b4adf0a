#include "commands.hpp"

namespace berth::cli {

Result<int> pause_command(const Invocation &invocation) {
  BERTH_TRY(container::pause(invocation.global.options, invocation.id));
  return 0;
}

} // namespace berth::cli
