// The rows: every flag, positional argument and subcommand berth understands.
// A new flag is one row here (plus an Invocation field when it stores
// something new); parsing and --help pick it up from the row.
#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <string>

#include "args.hpp"
#include "tables/signals.hpp"

namespace berth::cli {
namespace {

std::optional<unsigned> parse_unsigned(std::string_view text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  unsigned n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size())
    return std::nullopt;
  return n;
}

template <std::size_t N, std::size_t M>
constexpr std::array<FlagSpec, N + M> concat(const std::array<FlagSpec, N> &first,
                                             const std::array<FlagSpec, M> &second) {
  std::array<FlagSpec, N + M> out{};
  std::copy(first.begin(), first.end(), out.begin());
  std::copy(second.begin(), second.end(), out.begin() + N);
  return out;
}

// ---- Flag tables. One row per flag; the help text is generated from these. ----

// Every subcommand (and the global level) understands these.
constexpr std::array kCommonFlags = {
    FlagSpec{.name = "help",
             .short_name = 'h',
             .help = "show this help",
             .set_bool =
                 [](Invocation &inv, bool v) {
                   inv.help = v;
                   return ok();
                 }},
};

constexpr std::array kGlobalFlags = {
    FlagSpec{.name = "root",
             .value_name = "DIR",
             .help = "directory for container state (default \"/run/berth\")",
             .set_value = [](Invocation &inv, std::string_view v) -> Result<void> {
               if (v.empty())
                 return fail("--root must not be empty");
               inv.global.options.root = v;
               return ok();
             }},
    FlagSpec{.name = "log",
             .value_name = "FILE",
             .help = "also append log messages to FILE",
             .set_value =
                 [](Invocation &inv, std::string_view v) {
                   inv.global.log_file = v;
                   return ok();
                 }},
    FlagSpec{.name = "log-format",
             .value_name = "FORMAT",
             .help = "format of the --log file: text or json (default \"text\")",
             .set_value = [](Invocation &inv, std::string_view v) -> Result<void> {
               if (v == "text")
                 inv.global.log_format = LogFormat::Text;
               else if (v == "json")
                 inv.global.log_format = LogFormat::Json;
               else {
                 inv.global.log_format_invalid = true;
                 return fail("invalid --log-format " + quoted(v) + ": expected text or json");
               }
               return ok();
             }},
    FlagSpec{.name = "debug",
             .help = "log debug messages too",
             .set_bool =
                 [](Invocation &inv, bool v) {
                   inv.global.debug = v;
                   return ok();
                 }},
    FlagSpec{.name = "systemd-cgroup",
             .help = "manage cgroups through systemd (not supported yet)",
             .set_bool = [](Invocation &inv, bool v) -> Result<void> {
               if (v)
                 return fail("--systemd-cgroup is not supported yet");
               inv.global.options.systemd_cgroup = false;
               return ok();
             }},
    FlagSpec{.name = "rootless",
             .value_name = "MODE",
             .help = "true, false or auto (default \"auto\"); true is not supported yet",
             .set_value = [](Invocation &inv, std::string_view v) -> Result<void> {
               if (v == "auto") {
                 inv.global.rootless = Rootless::Auto;
                 return ok();
               }
               auto b = parse_bool(v);
               if (!b)
                 return fail("invalid --rootless " + quoted(v) + ": expected true, false or auto");
               if (*b)
                 return fail("--rootless true is not supported yet");
               inv.global.rootless = Rootless::False;
               return ok();
             }},
    // runc takes the path of its checkpoint tool here. Engines pass it
    // unconditionally, and berth has no checkpoint support to point it at.
    FlagSpec{.name = "criu",
             .value_name = "PATH",
             .help = "accepted for runc compatibility and ignored",
             .set_value = [](Invocation &, std::string_view) { return ok(); }},
    FlagSpec{.name = "version",
             .short_name = 'v',
             .help = "print the version",
             .set_bool =
                 [](Invocation &inv, bool v) {
                   inv.version = v;
                   return ok();
                 }},
};

constexpr std::array kCreateFlags = {
    FlagSpec{.name = "bundle",
             .short_name = 'b',
             .value_name = "DIR",
             .help = "bundle directory holding config.json (default: the current directory)",
             .set_value =
                 [](Invocation &inv, std::string_view v) {
                   inv.create.bundle = v.empty() ? "." : std::string(v);
                   return ok();
                 }},
    FlagSpec{.name = "pid-file",
             .value_name = "FILE",
             .help = "write the container's pid to FILE",
             .set_value =
                 [](Invocation &inv, std::string_view v) {
                   inv.create.pid_file = v;
                   return ok();
                 }},
    FlagSpec{.name = "console-socket",
             .value_name = "SOCKET",
             .help = "send the terminal's master fd to SOCKET (not supported yet)",
             .set_value = [](Invocation &, std::string_view) -> Result<void> {
               return fail("--console-socket is not supported yet");
             }},
    FlagSpec{.name = "no-pivot",
             .help = "do not use pivot_root (for a rootfs on a ramdisk)",
             .set_bool =
                 [](Invocation &inv, bool v) {
                   inv.create.no_pivot = v;
                   return ok();
                 }},
    FlagSpec{.name = "no-new-keyring",
             .help = "keep the caller's session keyring",
             .set_bool =
                 [](Invocation &inv, bool v) {
                   inv.create.no_new_keyring = v;
                   return ok();
                 }},
    FlagSpec{.name = "preserve-fds",
             .value_name = "N",
             .help = "pass N extra fds (3 to 3+N-1) to the container",
             .set_value = [](Invocation &inv, std::string_view v) -> Result<void> {
               auto n = parse_unsigned(v);
               if (!n)
                 return fail("invalid --preserve-fds " + quoted(v) +
                             ": expected a non-negative integer");
               inv.create.preserve_fds = *n;
               return ok();
             }},
};

constexpr auto kRunFlags = concat(
    kCreateFlags, std::array{
                      FlagSpec{.name = "detach",
                               .short_name = 'd',
                               .help = "return once the container runs instead of waiting for it",
                               .set_bool =
                                   [](Invocation &inv, bool v) {
                                     inv.detach = v;
                                     return ok();
                                   }},
                      FlagSpec{.name = "keep",
                               .help = "do not delete the container after it exits",
                               .set_bool =
                                   [](Invocation &inv, bool v) {
                                     inv.keep = v;
                                     return ok();
                                   }},
                  });

constexpr std::array kKillFlags = {
    FlagSpec{.name = "all",
             .short_name = 'a',
             .help = "signal every process in the container's cgroup",
             .set_bool =
                 [](Invocation &inv, bool v) {
                   inv.all = v;
                   return ok();
                 }},
};

constexpr std::array kDeleteFlags = {
    FlagSpec{.name = "force",
             .short_name = 'f',
             .help = "kill the container first if it is running",
             .set_bool =
                 [](Invocation &inv, bool v) {
                   inv.force = v;
                   return ok();
                 }},
};

constexpr std::array kListFlags = {
    FlagSpec{.name = "format",
             .short_name = 'f',
             .value_name = "FORMAT",
             .help = "table or json (default \"table\")",
             .set_value = [](Invocation &inv, std::string_view v) -> Result<void> {
               if (v == "table")
                 inv.list_format = ListFormat::Table;
               else if (v == "json")
                 inv.list_format = ListFormat::Json;
               else
                 return fail("invalid --format " + quoted(v) + ": expected table or json");
               return ok();
             }},
    FlagSpec{.name = "quiet",
             .short_name = 'q',
             .help = "print only the container ids",
             .set_bool =
                 [](Invocation &inv, bool v) {
                   inv.quiet = v;
                   return ok();
                 }},
};

// ---- Positional arguments. ----

constexpr PositionalSpec kIdArg{.name = "ID", .set = [](Invocation &inv, std::string_view v) {
                                  inv.id = v;
                                  return ok();
                                }};

constexpr std::array kIdArgs = {kIdArg};

constexpr std::array kKillArgs = {
    kIdArg,
    PositionalSpec{.name = "SIGNAL",
                   .required = false,
                   .set = [](Invocation &inv, std::string_view v) -> Result<void> {
                     auto signal = tables::parse_signal(v);
                     if (!signal)
                       return fail("invalid signal " + quoted(v));
                     inv.signal = *signal;
                     return ok();
                   }},
};

constexpr std::array kHelpArgs = {
    PositionalSpec{.name = "COMMAND",
                   .required = false,
                   .set = [](Invocation &inv, std::string_view v) -> Result<void> {
                     if (!find_command(v))
                       return fail("unknown command " + quoted(v) + " (see 'berth --help')");
                     inv.help_topic = v;
                     return ok();
                   }},
};

// ---- Subcommands. ----

constexpr std::array kCommands = {
    CommandSpec{"create", "", Command::Create,
                "create a container from a bundle; it waits for 'berth start'", kCreateFlags,
                kIdArgs},
    CommandSpec{
        "start", "", Command::Start, "run the user process of a created container", {}, kIdArgs},
    CommandSpec{"state", "", Command::State, "print the state of a container as JSON", {}, kIdArgs},
    CommandSpec{"kill", "", Command::Kill,
                "send a signal (default SIGTERM) to a container's init process", kKillFlags,
                kKillArgs},
    CommandSpec{"delete", "", Command::Delete, "delete a container and its resources", kDeleteFlags,
                kIdArgs},
    CommandSpec{"run", "", Command::Run, "create and start a container, wait for it, delete it",
                kRunFlags, kIdArgs},
    CommandSpec{"list", "ls", Command::List, "list the containers under --root", kListFlags, {}},
    CommandSpec{"help", "", Command::Help, "show the help of berth or of a command", {}, kHelpArgs},
    CommandSpec{"exec", "", Command::NotSupported, "(not supported yet)", {}, {}},
    CommandSpec{"ps", "", Command::NotSupported, "(not supported yet)", {}, {}},
    CommandSpec{"pause", "", Command::NotSupported, "(not supported yet)", {}, {}},
    CommandSpec{"resume", "", Command::NotSupported, "(not supported yet)", {}, {}},
    CommandSpec{"update", "", Command::NotSupported, "(not supported yet)", {}, {}},
    CommandSpec{"events", "", Command::NotSupported, "(not supported yet)", {}, {}},
    CommandSpec{"spec", "", Command::NotSupported, "(not supported yet)", {}, {}},
    CommandSpec{"features", "", Command::NotSupported, "(not supported yet)", {}, {}},
    CommandSpec{"checkpoint", "", Command::NotSupported, "(not supported yet)", {}, {}},
    CommandSpec{"restore", "", Command::NotSupported, "(not supported yet)", {}, {}},
};

} // namespace

std::span<const FlagSpec> common_flags() {
  return kCommonFlags;
}

std::span<const FlagSpec> global_flags() {
  return kGlobalFlags;
}

std::span<const CommandSpec> commands() {
  return kCommands;
}

} // namespace berth::cli
