// One function per subcommand. Each returns the process exit status, or the
// error that main reports as "berth: <message>" with status 1.
#pragma once

#include "../args.hpp"
#include "sys/error.hpp"

namespace berth::cli {

Result<int> create_command(const Invocation &invocation);
Result<int> start_command(const Invocation &invocation);
Result<int> state_command(const Invocation &invocation);
Result<int> kill_command(const Invocation &invocation);
Result<int> delete_command(const Invocation &invocation);
Result<int> run_command(const Invocation &invocation);
Result<int> list_command(const Invocation &invocation);
Result<int> pause_command(const Invocation &invocation);
Result<int> resume_command(const Invocation &invocation);
Result<int> update_command(const Invocation &invocation);
Result<int> ps_command(const Invocation &invocation);
Result<int> events_command(const Invocation &invocation);
Result<int> spec_command(const Invocation &invocation);
Result<int> features_command(const Invocation &invocation);
Result<int> exec_command(const Invocation &invocation);
Result<int> checkpoint_command(const Invocation &invocation);
Result<int> restore_command(const Invocation &invocation);
// `berth help [COMMAND]`, and --help of berth or of any command.
Result<int> help_command(const Invocation &invocation);

// Writes text to stdout and flushes it, so that a closed pipe is an error
// rather than output silently lost.
Result<void> print(std::string_view text);

} // namespace berth::cli
