#include "commands.hpp"
#include "socket_activation.hpp"

namespace berth::cli {

Result<int> create_command(const Invocation &invocation) {
  auto options = invocation.create_options();
  pass_socket_activation(options);
  pass_notify_socket(options);
  BERTH_TRY(container::create(invocation.global.options, options));
  return 0;
}

} // namespace berth::cli
