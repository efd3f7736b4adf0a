#include "commands.hpp"

namespace berth::cli {

Result<int> delete_command(const Invocation &invocation) {
  BERTH_TRY(container::remove(invocation.global.options, invocation.id, invocation.force));
  return 0;
}

} // namespace berth::cli
