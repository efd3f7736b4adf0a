#include "commands.hpp"

namespace berth::cli {

Result<int> resume_command(const Invocation &invocation) {
  BERTH_TRY(container::resume(invocation.global.options, invocation.id));
  return 0;
}

} // namespace berth::cli
