// The command line, spelled as runc spells it so that containerd's shim and
// conmon can call berth unchanged.
//
// The parser is driven by tables (command_table.cpp): every subcommand is one CommandSpec
// row listing its flags and positional arguments, and each flag row carries the
// setter that stores its value in an Invocation. The same rows generate --help,
// so a new flag is one row plus, when needed, one Invocation field.
#pragma once

#include <csignal>

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "container/container.hpp"
#include "sys/error.hpp"

namespace berth::cli {

enum class LogFormat { Text, Json };
enum class Rootless { Auto, True, False };
enum class ListFormat { Table, Json };
enum class PsFormat { Table, Json };

struct GlobalArgs {
  container::GlobalOptions options; // --root, --systemd-cgroup
  std::string log_file;             // --log, empty for stderr only
  LogFormat log_format = LogFormat::Text;
  // A bad --log-format leaves no format to write the log file in, so its error
  // goes to stderr only rather than in a form the file's reader cannot parse.
  bool log_format_invalid = false;
  bool debug = false;
  Rootless rootless = Rootless::Auto;
  bool root_given = false; // --root was on the command line
};

struct CommandSpec;

// Everything the command line asked for. Fields that a subcommand does not
// declare keep their defaults.
struct Invocation {
  GlobalArgs global;
  const CommandSpec *command = nullptr; // nullptr when no subcommand was given
  bool help = false;                    // usage of `command` (or the global one)
  bool version = false;
  std::string help_topic; // `berth help TOPIC`

  std::string id;
  container::CreateOptions create; // create, run (id is filled from `id`); spec: bundle only
  bool detach = false;             // run
  bool keep = false;               // run
  bool all = false;                // kill
  int signal = SIGTERM;            // kill
  bool force = false;              // delete
  ListFormat list_format = ListFormat::Table;
  bool quiet = false; // list

  std::string resources_file;     // update --resources: a path, "-" for stdin, empty for none
  spec::Resources resource_flags; // update's individual flags, laid over --resources
  PsFormat ps_format = PsFormat::Table;
  std::vector<std::string> ps_args;                            // ps: for the host's ps(1)
  bool stats_once = false;                                     // events --stats
  std::chrono::nanoseconds interval = std::chrono::seconds(5); // events --interval
  bool spec_rootless = false;                                  // spec --rootless
  container::ExecOptions exec; // exec's flags and command (id is filled from `id`)
  container::CriuFlags criu;   // checkpoint, restore
  bool leave_running = false;  // checkpoint

  container::CreateOptions create_options() const;
  container::RunOptions run_options() const;
  container::ExecOptions exec_options() const;
  container::CheckpointOptions checkpoint_options() const;
  container::RestoreOptions restore_options() const;
};

// A boolean flag's setter receives the flag's value (true unless spelled
// --flag=false); a valued flag's setter validates and stores its text.
using BoolSetter = Result<void> (*)(Invocation &invocation, bool value);
using ValueSetter = Result<void> (*)(Invocation &invocation, std::string_view value);

struct FlagSpec {
  std::string_view name;       // long name without dashes: "bundle"
  char short_name = 0;         // 'b', or 0 for none
  std::string_view value_name; // "DIR" for a valued flag, empty for a boolean one
  std::string_view help;
  BoolSetter set_bool = nullptr;   // exactly one of the two setters is set
  ValueSetter set_value = nullptr; //
};

struct PositionalSpec {
  std::string_view name; // "ID"
  bool required = true;
  ValueSetter set = nullptr;
  // Takes every remaining argument verbatim, flags included, each through `set`
  // (ps passes them on to ps(1)); a "--" right before them is dropped. Last only.
  bool rest = false;
};

// Runs a parsed subcommand: the process exit status, or the error that main
// reports as "berth: <message>" with status 1 (src/commands/).
using CommandRun = Result<int> (*)(const Invocation &invocation);

// What a command hands to the container besides stdio, so that main can check
// before anything else that those fds are open.
enum class PreservedFds { None, Create, Exec };

struct CommandSpec {
  std::string_view name;
  std::string_view alias; // "ls" for list, empty for none
  std::string_view summary;
  std::span<const FlagSpec> flags;
  std::span<const PositionalSpec> positionals;
  CommandRun run = nullptr;
  PreservedFds preserved_fds = PreservedFds::None;
  // Its clones of berth run inside a container until they exec the container's
  // program, so berth must first run from a binary no container can write.
  bool clones_into_container = false;
};

// The tables (command_table.cpp). Common flags (--help) apply to every
// subcommand and to the global level.
std::span<const FlagSpec> common_flags();
std::span<const FlagSpec> global_flags();
std::span<const CommandSpec> commands();
// The command called `name` (or aliased so), or nullptr.
const CommandSpec *find_command(std::string_view name);

// Parses argv without argv[0] into `out`. On failure `out` keeps what was parsed
// before the error (notably --log and --log-format, so that the error can still
// reach the log file the engine reads). Errors are one line.
Result<void> parse_command_line(std::span<const std::string_view> args, Invocation &out);

// The help text of a subcommand, or the global one for nullptr.
std::string usage(const CommandSpec *command);

// Go's boolean spellings (strconv.ParseBool), which runc accepts for --flag=value.
std::optional<bool> parse_bool(std::string_view text);

// Small helpers the parser and the command table's setters share.
inline Result<void> ok() {
  return {};
}
inline std::string quoted(std::string_view text) {
  // Appended piece by piece: GCC 12 warns (-Wrestrict, a false positive) on
  // "literal" + std::string here.
  std::string out(1, '"');
  out += text;
  out += '"';
  return out;
}

} // namespace berth::cli
