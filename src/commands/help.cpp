#include "commands.hpp"

namespace berth::cli {

// `berth help` and `berth help --help` show the global usage; `berth help
// COMMAND` and `berth COMMAND --help` that command's.
Result<int> help_command(const Invocation &invocation) {
  const CommandSpec *topic = invocation.command;
  if (topic && topic->run == help_command)
    topic = invocation.help_topic.empty() ? nullptr : find_command(invocation.help_topic);
  BERTH_TRY(print(usage(topic)));
  return 0;
}

} // namespace berth::cli
