// berth's entry point: parse the runc-style command line, route messages, run
// the subcommand its table row names, and turn its outcome into an exit status (1 for any error).
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

Result<int> execute(const Invocation &invocation) {
  if (invocation.version) {
    BERTH_TRY(print("berth version " BERTH_VERSION "\nspec: " BERTH_OCI_SPEC_VERSION "\n"));
    return 0;
  }
  if (invocation.help || !invocation.command)
    return help_command(invocation);
  return invocation.command->run(invocation);
}

// The fds after stdio that this command hands to the container.
unsigned preserved_fd_count(const Invocation &invocation) {
  switch (invocation.command ? invocation.command->preserved_fds : PreservedFds::None) {
  case PreservedFds::Create:
    return invocation.create.preserve_fds + socket_activation_fd_count();
  case PreservedFds::Exec:
    return invocation.exec.preserve_fds;
  case PreservedFds::None:
    break;
  }
  return 0;
}

// The commands whose clones of berth run inside a container until they exec
// the container's program: they must run from a binary no container can write.
bool clones_into_a_container(const Invocation &invocation) {
  return invocation.command && invocation.command->clones_into_container && !invocation.help &&
         !invocation.version;
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
