#include "commands.hpp"

namespace berth::cli {

Result<int> create_command(const Invocation &invocation) {
  BERTH_TRY(container::create(invocation.global.options, invocation.create_options()));
  return 0;
}

} // namespace berth::cli
