// berth's entry point: parse the runc-style command line, route messages, run
// one subcommand, and turn its outcome into an exit status (1 for any error).
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "args.hpp"
#include "berth_config.h"
#include "commands/commands.hpp"
#include "log_output.hpp"
#include "rootless_mode.hpp"
#include "socket_activation.hpp"
#include "sys/unwritable_exe.hpp"

namespace {

using namespace berth;
using namespace berth::cli;

Result<int> show_help(const Invocation &invocation) {
  const CommandSpec *topic = invocation.command;
  if (topic && topic->command == Command::Help)
    topic = invocation.help_topic.empty() ? nullptr : find_command(invocation.help_topic);
  BERTH_TRY(print(usage(topic)));
  return 0;
}

Result<int> execute(const Invocation &invocation) {
  if (invocation.version) {
    BERTH_TRY(print("berth version " BERTH_VERSION "\nspec: " BERTH_OCI_SPEC_VERSION "\n"));
    return 0;
  }
  if (invocation.help || !invocation.command)
    return show_help(invocation);
  switch (invocation.command->command) {
  case Command::Help:
    return show_help(invocation);
  case Command::Create:
    return create_command(invocation);
  case Command::Start:
    return start_command(invocation);
  case Command::State:
    return state_command(invocation);
  case Command::Kill:
    return kill_command(invocation);
  case Command::Delete:
    return delete_command(invocation);
  case Command::Run:
    return run_command(invocation);
  case Command::List:
    return list_command(invocation);
  case Command::Pause:
    return pause_command(invocation);
  case Command::Resume:
    return resume_command(invocation);
  case Command::Update:
    return update_command(invocation);
  case Command::Ps:
    return ps_command(invocation);
  case Command::Events:
    return events_command(invocation);
  case Command::Spec:
    return spec_command(invocation);
  case Command::Features:
    return features_command(invocation);
  case Command::Exec:
    return exec_command(invocation);
  case Command::Checkpoint:
    return checkpoint_command(invocation);
  case Command::Restore:
    return restore_command(invocation);
  case Command::NotSupported:
    return not_supported_command(invocation);
  }
  return fail("unhandled command " + std::string(invocation.command->name));
}

// The fds after stdio that this command hands to the container.
unsigned preserved_fd_count(const Invocation &invocation) {
  if (!invocation.command)
    return 0;
  switch (invocation.command->command) {
  case Command::Create:
  case Command::Run:
    return invocation.create.preserve_fds + socket_activation_fd_count();
  case Command::Exec:
    return invocation.exec.preserve_fds;
  default:
    return 0;
  }
}

// The commands whose clones of berth run inside a container until they exec
// the container's program: they must run from a binary no container can write.
bool clones_into_a_container(const Invocation &invocation) {
  if (!invocation.command || invocation.help || invocation.version)
    return false;
  switch (invocation.command->command) {
  case Command::Create:
  case Command::Run:
  case Command::Exec:
    return true;
  default:
    return false;
  }
}

int main_unguarded(int argc, char **argv) {
  // Until the command line names a log file, errors can only go to stderr.
  install_stderr_logging();
  std::vector<std::string_view> args(argv + 1, argv + argc);
  Invocation invocation;
  auto parsed = parse_command_line(args, invocation);
  auto preserved =
      parsed ? check_preserved_fds_open(preserved_fd_count(invocation)) : Result<void>{};
  // Even when parsing failed, --log may have been read: engines look for the
  // error there (an unsupported flag, say), not on stderr.
  if (auto logging = install_logging(invocation.global); !logging) {
    log::error(logging.error().message());
    return 1;
  }
  if (!parsed) {
    log::error(parsed.error().message());
    return 1;
  }
  if (!preserved) {
    log::error(preserved.error().message());
    return 1;
  }
  if (clones_into_a_container(invocation)) {
    if (auto unwritable = sys::run_from_unwritable_exe(argv); !unwritable) {
      log::error(unwritable.error().message());
      return 1;
    }
  }
  resolve_rootless(invocation.global);
  auto status = execute(invocation);
  if (!status) {
    log::error(status.error().message());
    return 1;
  }
  return *status;
}

} // namespace

int main(int argc, char **argv) {
  try {
    return main_unguarded(argc, argv);
  } catch (const std::exception &e) {
    // Only allocation failures and the like get here; libberth reports errors by Result.
    log::error(std::string("internal error: ") + e.what());
    return 1;
  }
}
