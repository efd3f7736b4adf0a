#include "commands.hpp"

namespace berth::cli {

Result<int> checkpoint_command(const Invocation &invocation) {
  BERTH_TRY(container::checkpoint(invocation.global.options, invocation.checkpoint_options()));
  return 0;
}

} // namespace berth::cli
