#include "commands.hpp"

#include <string>

namespace berth::cli {

// Recognized so that an engine asking for one of these gets a plain refusal
// rather than "unknown command" or, worse, a silent success.
Result<int> not_supported_command(const Invocation &invocation) {
  return fail(std::string(invocation.command->name) + " is not supported yet");
}

} // namespace berth::cli
