#include "commands.hpp"
#include "socket_activation.hpp"

namespace berth::cli {

// berth exits with the container's own status, as engines expect from `run`.
Result<int> run_command(const Invocation &invocation) {
  auto options = invocation.run_options();
  pass_socket_activation(options.create);
  pass_notify_socket(options.create);
  return container::run(invocation.global.options, options);
}

} // namespace berth::cli
