// The rows: every flag, positional argument and subcommand berth understands.
// A new flag is one row here (plus an Invocation field when it stores
// something new); parsing and --help pick it up from the row.
#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "args.hpp"
#include "byte_size.hpp"
#include "commands/commands.hpp"
#include "go_duration.hpp"
#include "tables/signals.hpp"

namespace berth::cli {
namespace {

// Decimal digits, with a leading '-' for signed types only: no '+', no spaces,
// nothing after the number, nothing out of T's range.
template <class T> std::optional<T> parse_decimal(std::string_view text) {
  T n{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    return std::nullopt;
  return n;
}

std::unexpected<Error> invalid(std::string_view flag, std::string_view value,
                               std::string_view expected) {
  return fail("invalid --" + std::string(flag) + " " + quoted(value) + ": expected " +
              std::string(expected));
}

// The object at the end of a path of member pointers: member<&A::b, &B::c>(a) is a.b.c.
template <auto First, auto... Rest, class T> constexpr auto &member(T &object) {
  if constexpr (sizeof...(Rest) == 0)
    return object.*First;
  else
    return member<Rest...>(object.*First);
}

// The setters of flags that only store what the command line says, generated
// from the path of the field they fill.
template <auto... Path> Result<void> store_bool(Invocation &inv, bool value) {
  member<Path...>(inv) = value;
  return ok();
}
template <auto... Path> Result<void> store_text(Invocation &inv, std::string_view value) {
  member<Path...>(inv) = std::string(value);
  return ok();
}
template <auto... Path> Result<void> append_text(Invocation &inv, std::string_view value) {
  member<Path...>(inv).emplace_back(value);
  return ok();
}

// ---- Setters shared by update's flags. ----

spec::MemoryResources &memory_flags(Invocation &inv) {
  auto &memory = inv.resource_flags.memory;
  return memory ? *memory : memory.emplace();
}

spec::CpuResources &cpu_flags(Invocation &inv) {
  auto &cpu = inv.resource_flags.cpu;
  return cpu ? *cpu : cpu.emplace();
}

// runc's memory flags take a size with an optional unit, or -1 for no limit.
Result<void> store_memory_size(std::string_view flag, std::string_view value,
                               std::optional<std::int64_t> &to) {
  if (value == "-1") {
    to = -1;
    return ok();
  }
  auto bytes = parse_byte_size(value);
  if (!bytes)
    return invalid(flag, value, "a size such as 1048576, 512k, 64m or 1g, or -1 for no limit");
  to = *bytes;
  return ok();
}

template <class T>
Result<void> store_number(std::string_view flag, std::string_view value, std::optional<T> &to) {
  auto n = parse_decimal<T>(value);
  if (!n)
    return invalid(flag, value, std::is_signed_v<T> ? "an integer" : "a non-negative integer");
  to = *n;
  return ok();
}

Result<void> store_cpu_list(std::string_view flag, std::string_view value,
                            std::optional<std::string> &to) {
  if (value.empty())
    return invalid(flag, value, "a list such as 0-3,7");
  to = std::string(value);
  return ok();
}

// Behind two rows: runc spells the flag --cpu-share, Docker --cpu-shares.
Result<void> set_cpu_shares(Invocation &inv, std::string_view v) {
  return store_number("cpu-share", v, cpu_flags(inv).shares);
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
             .set_bool = store_bool<&Invocation::help>},
};

constexpr std::array kGlobalFlags = {
    FlagSpec{.name = "root",
             .value_name = "DIR",
             .help = "directory for container state (default \"/run/berth\", rootless: "
                     "\"$XDG_RUNTIME_DIR/berth\")",
             .set_value = [](Invocation &inv, std::string_view v) -> Result<void> {
               if (v.empty())
                 return fail("--root must not be empty");
               inv.global.options.root = v;
               inv.global.root_given = true;
               return ok();
             }},
    FlagSpec{.name = "log",
             .value_name = "FILE",
             .help = "also append log messages to FILE",
             .set_value = store_text<&Invocation::global, &GlobalArgs::log_file>},
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
             .set_bool = store_bool<&Invocation::global, &GlobalArgs::debug>},
    // Accepted by every command (engines pass it to all of them); create is
    // where it matters, and it says there why it cannot be done.
    FlagSpec{.name = "systemd-cgroup",
             .help = "manage cgroups through systemd (needs a running systemd)",
             .set_bool = store_bool<&Invocation::global, &GlobalArgs::options,
                                    &container::GlobalOptions::systemd_cgroup>},
    FlagSpec{.name = "rootless",
             .value_name = "MODE",
             .help = "true, false or auto (default \"auto\": rootless when not run by root "
                     "of the host)",
             .set_value = [](Invocation &inv, std::string_view v) -> Result<void> {
               if (v == "auto") {
                 inv.global.rootless = Rootless::Auto;
                 return ok();
               }
               auto b = parse_bool(v);
               if (!b)
                 return fail("invalid --rootless " + quoted(v) + ": expected true, false or auto");
               inv.global.rootless = *b ? Rootless::True : Rootless::False;
               return ok();
             }},
    // Engines pass it to every command; checkpoint and restore run it.
    FlagSpec{.name = "criu",
             .value_name = "PATH",
             .help = "the criu binary checkpoint and restore run (default \"criu\", looked up in "
                     "PATH, /usr/sbin and /sbin)",
             // Empty is the default, as an engine that fills in an unset path passes it.
             .set_value = [](Invocation &inv, std::string_view v) -> Result<void> {
               inv.global.options.criu = v.empty() ? "criu" : std::string(v);
               return ok();
             }},
    FlagSpec{.name = "version",
             .short_name = 'v',
             .help = "print the version",
             .set_bool = store_bool<&Invocation::version>},
};

// Flags that create, run and restore share.
constexpr FlagSpec kBundleFlag{
    .name = "bundle",
    .short_name = 'b',
    .value_name = "DIR",
    .help = "bundle directory holding config.json (default: the current directory)",
    .set_value = [](Invocation &inv, std::string_view v) {
      inv.create.bundle = v.empty() ? "." : std::string(v);
      return ok();
    }};

// run and restore: wait for the container, or not.
constexpr FlagSpec kDetachFlag{.name = "detach",
                               .short_name = 'd',
                               .help = "return once the container runs instead of waiting for it",
                               .set_bool = store_bool<&Invocation::detach>};

constexpr std::array kCreateFlags = {
    kBundleFlag,
    FlagSpec{.name = "pid-file",
             .value_name = "FILE",
             .help = "write the container's pid to FILE",
             .set_value = store_text<&Invocation::create, &container::CreateOptions::pid_file>},
    FlagSpec{.name = "console-socket",
             .value_name = "SOCKET",
             .help = "send the master of the container's terminal to the unix socket SOCKET",
             // Empty is no socket, as runc reads it.
             .set_value =
                 store_text<&Invocation::create, &container::CreateOptions::console_socket>},
    FlagSpec{.name = "no-pivot",
             .help = "do not use pivot_root (for a rootfs on a ramdisk)",
             .set_bool = store_bool<&Invocation::create, &container::CreateOptions::no_pivot>},
    FlagSpec{.name = "no-new-keyring",
             .help = "keep the caller's session keyring",
             .set_bool =
                 store_bool<&Invocation::create, &container::CreateOptions::no_new_keyring>},
    FlagSpec{.name = "preserve-fds",
             .value_name = "N",
             .help = "pass N extra fds (3 to 3+N-1) to the container",
             .set_value = [](Invocation &inv, std::string_view v) -> Result<void> {
               auto n = parse_decimal<unsigned>(v);
               if (!n)
                 return fail("invalid --preserve-fds " + quoted(v) +
                             ": expected a non-negative integer");
               inv.create.preserve_fds = *n;
               return ok();
             }},
};

constexpr auto kRunFlags =
    concat(kCreateFlags, std::array{
                             kDetachFlag,
                             FlagSpec{.name = "keep",
                                      .help = "do not delete the container after it exits",
                                      .set_bool = store_bool<&Invocation::keep>},
                         });

constexpr std::array kKillFlags = {
    FlagSpec{.name = "all",
             .short_name = 'a',
             .help = "signal every process in the container's cgroup",
             .set_bool = store_bool<&Invocation::all>},
};

constexpr std::array kDeleteFlags = {
    FlagSpec{.name = "force",
             .short_name = 'f',
             .help = "kill the container first if it is running",
             .set_bool = store_bool<&Invocation::force>},
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
             .set_bool = store_bool<&Invocation::quiet>},
};

// runc's update flags, each changing one field of the container's resources.
constexpr std::array kUpdateFlags = {
    FlagSpec{.name = "resources",
             .short_name = 'r',
             .value_name = "FILE",
             .help = "read the limits, a JSON LinuxResources object, from FILE (- for stdin)",
             .set_value = [](Invocation &inv, std::string_view v) -> Result<void> {
               if (v.empty())
                 return invalid("resources", v, "a file name or -");
               inv.resources_file = v;
               return ok();
             }},
    FlagSpec{.name = "memory",
             .value_name = "SIZE",
             .help = "memory limit (bytes, or with a unit: 512k, 64m, 1g; -1 for none)",
             .set_value =
                 [](Invocation &inv, std::string_view v) {
                   return store_memory_size("memory", v, memory_flags(inv).limit);
                 }},
    FlagSpec{.name = "memory-reservation",
             .value_name = "SIZE",
             .help = "memory soft limit (as --memory)",
             .set_value =
                 [](Invocation &inv, std::string_view v) {
                   return store_memory_size("memory-reservation", v, memory_flags(inv).reservation);
                 }},
    FlagSpec{.name = "memory-swap",
             .value_name = "SIZE",
             .help = "limit of memory plus swap (as --memory)",
             .set_value =
                 [](Invocation &inv, std::string_view v) {
                   return store_memory_size("memory-swap", v, memory_flags(inv).swap);
                 }},
    FlagSpec{.name = "cpu-share",
             .value_name = "N",
             .help = "CPU shares (weight relative to other containers)",
             .set_value = set_cpu_shares},
    FlagSpec{.name = "cpu-shares",
             .value_name = "N",
             .help = "same as --cpu-share",
             .set_value = set_cpu_shares},
    FlagSpec{.name = "cpu-quota",
             .value_name = "N",
             .help = "CPU time allowed in each period, in microseconds (-1 for no limit)",
             .set_value =
                 [](Invocation &inv, std::string_view v) {
                   return store_number("cpu-quota", v, cpu_flags(inv).quota);
                 }},
    FlagSpec{.name = "cpu-period",
             .value_name = "N",
             .help = "CPU CFS period, in microseconds",
             .set_value =
                 [](Invocation &inv, std::string_view v) {
                   return store_number("cpu-period", v, cpu_flags(inv).period);
                 }},
    FlagSpec{.name = "cpu-burst",
             .value_name = "N",
             .help = "CPU time a period may borrow from earlier ones, in microseconds",
             .set_value =
                 [](Invocation &inv, std::string_view v) {
                   return store_number("cpu-burst", v, cpu_flags(inv).burst);
                 }},
    FlagSpec{.name = "cpu-rt-period",
             .value_name = "N",
             .help = "CPU realtime period, in microseconds",
             .set_value =
                 [](Invocation &inv, std::string_view v) {
                   return store_number("cpu-rt-period", v, cpu_flags(inv).realtime_period);
                 }},
    FlagSpec{.name = "cpu-rt-runtime",
             .value_name = "N",
             .help = "CPU realtime time allowed in each period, in microseconds",
             .set_value =
                 [](Invocation &inv, std::string_view v) {
                   return store_number("cpu-rt-runtime", v, cpu_flags(inv).realtime_runtime);
                 }},
    FlagSpec{.name = "cpuset-cpus",
             .value_name = "LIST",
             .help = "CPUs to run on, such as 0-3,7",
             .set_value =
                 [](Invocation &inv, std::string_view v) {
                   return store_cpu_list("cpuset-cpus", v, cpu_flags(inv).cpus);
                 }},
    FlagSpec{.name = "cpuset-mems",
             .value_name = "LIST",
             .help = "memory nodes to use, such as 0-1",
             .set_value =
                 [](Invocation &inv, std::string_view v) {
                   return store_cpu_list("cpuset-mems", v, cpu_flags(inv).mems);
                 }},
    FlagSpec{.name = "pids-limit",
             .value_name = "N",
             .help = "maximum number of processes (-1 for no limit)",
             .set_value =
                 [](Invocation &inv, std::string_view v) {
                   return store_number("pids-limit", v, inv.resource_flags.pids_limit);
                 }},
    FlagSpec{.name = "blkio-weight",
             .value_name = "N",
             .help = "block IO weight, 10 to 1000 (0 leaves it as it is)",
             .set_value = [](Invocation &inv, std::string_view v) -> Result<void> {
               auto weight = parse_decimal<std::uint16_t>(v);
               if (!weight || (*weight != 0 && (*weight < 10 || *weight > 1000)))
                 return invalid("blkio-weight", v, "an integer from 10 to 1000");
               // 0 is runc's "not given": update leaves the weight as it is.
               auto &io = inv.resource_flags.block_io;
               (io ? *io : io.emplace()).weight = *weight;
               return ok();
             }},
};

constexpr std::array kPsFlags = {
    FlagSpec{.name = "format",
             .short_name = 'f',
             .value_name = "FORMAT",
             .help = "table (the host's ps output) or json (an array of pids); default \"table\"",
             .set_value = [](Invocation &inv, std::string_view v) -> Result<void> {
               if (v == "table")
                 inv.ps_format = PsFormat::Table;
               else if (v == "json")
                 inv.ps_format = PsFormat::Json;
               else
                 return invalid("format", v, "table or json");
               return ok();
             }},
};

constexpr std::array kEventsFlags = {
    FlagSpec{.name = "stats",
             .help = "print the statistics once and exit",
             .set_bool = store_bool<&Invocation::stats_once>},
    FlagSpec{.name = "interval",
             .value_name = "DURATION",
             .help = "time between statistics, such as 500ms, 5s or 1m30s (default 5s)",
             .set_value = [](Invocation &inv, std::string_view v) -> Result<void> {
               auto interval = parse_go_duration(v);
               if (!interval)
                 return invalid("interval", v, "a duration such as 500ms, 5s or 1m30s");
               if (interval->count() <= 0)
                 return fail("--interval must be greater than 0, got " + quoted(v));
               inv.interval = *interval;
               return ok();
             }},
};

// ---- exec's flags (runc's spellings). ----

// --user UID[:GID], numeric as in runc: names would need the container's
// /etc/passwd, which berth does not read.
Result<void> set_exec_user(Invocation &inv, std::string_view v) {
  auto colon = v.find(':');
  auto uid = parse_decimal<std::uint32_t>(v.substr(0, colon));
  std::optional<std::uint32_t> gid;
  if (colon != std::string_view::npos)
    gid = parse_decimal<std::uint32_t>(v.substr(colon + 1));
  if (!uid || (colon != std::string_view::npos && !gid))
    return invalid("user", v, "UID or UID:GID (numbers)");
  inv.exec.uid = uid;
  if (gid)
    inv.exec.gid = gid;
  return ok();
}

// --cgroup PATH (every hierarchy) or CONTROLLER[,CONTROLLER...]:PATH (the
// hierarchies of those controllers, cgroup v1), repeatable.
Result<void> add_exec_cgroup(Invocation &inv, std::string_view v) {
  auto colon = v.find(':');
  std::string_view path = colon == std::string_view::npos ? v : v.substr(colon + 1);
  if (path.empty())
    return invalid("cgroup", v, "PATH or CONTROLLER[,CONTROLLER...]:PATH");
  std::vector<std::string_view> controllers;
  if (colon == std::string_view::npos) {
    controllers.push_back("");
  } else {
    for (std::string_view list = v.substr(0, colon);;) {
      auto comma = list.find(',');
      std::string_view controller = list.substr(0, comma);
      if (controller.empty())
        return invalid("cgroup", v, "PATH or CONTROLLER[,CONTROLLER...]:PATH");
      controllers.push_back(controller);
      if (comma == std::string_view::npos)
        break;
      list.remove_prefix(comma + 1);
    }
  }
  for (std::string_view controller : controllers)
    if (!inv.exec.cgroup_paths.emplace(controller, path).second)
      return fail("--cgroup " + quoted(v) + ": " +
                  (controller.empty() ? std::string("a path for every controller")
                                      : "controller " + std::string(controller)) +
                  " is given twice");
  return ok();
}

constexpr std::array kExecFlags = {
    FlagSpec{.name = "process",
             .short_name = 'p',
             .value_name = "FILE",
             .help = "run the process FILE describes (a config.json \"process\" object) "
                     "instead of a COMMAND shaped by --cwd, --env, --user, ...",
             .set_value = [](Invocation &inv, std::string_view v) -> Result<void> {
               if (v.empty())
                 return invalid("process", v, "a file name");
               inv.exec.process_file = v;
               return ok();
             }},
    FlagSpec{.name = "tty",
             .short_name = 't',
             .help = "give the process a terminal",
             .set_bool = store_bool<&Invocation::exec, &container::ExecOptions::tty>},
    FlagSpec{.name = "detach",
             .short_name = 'd',
             .help = "return once the process runs instead of waiting for it",
             .set_bool = store_bool<&Invocation::exec, &container::ExecOptions::detach>},
    FlagSpec{.name = "pid-file",
             .value_name = "FILE",
             .help = "write the process' pid to FILE",
             .set_value = store_text<&Invocation::exec, &container::ExecOptions::pid_file>},
    FlagSpec{.name = "console-socket",
             .value_name = "SOCKET",
             .help = "send the terminal's master fd to the unix socket SOCKET",
             .set_value = store_text<&Invocation::exec, &container::ExecOptions::console_socket>},
    FlagSpec{.name = "cwd",
             .value_name = "DIR",
             .help = "working directory in the container",
             .set_value = store_text<&Invocation::exec, &container::ExecOptions::cwd>},
    FlagSpec{.name = "env",
             .short_name = 'e',
             .value_name = "NAME=VALUE",
             .help = "set an environment variable (repeatable)",
             .set_value = append_text<&Invocation::exec, &container::ExecOptions::env>},
    FlagSpec{.name = "user",
             .short_name = 'u',
             .value_name = "UID[:GID]",
             .help = "run as this user (and group)",
             .set_value = set_exec_user},
    FlagSpec{.name = "additional-gids",
             .short_name = 'g',
             .value_name = "GID",
             .help = "add a supplementary group (repeatable)",
             .set_value = [](Invocation &inv, std::string_view v) -> Result<void> {
               auto gid = parse_decimal<std::uint32_t>(v);
               if (!gid)
                 return invalid("additional-gids", v, "a group id (a number)");
               inv.exec.additional_gids.push_back(*gid);
               return ok();
             }},
    FlagSpec{.name = "cap",
             .short_name = 'c',
             .value_name = "CAP",
             .help = "add a capability, such as CAP_NET_ADMIN (repeatable)",
             .set_value = append_text<&Invocation::exec, &container::ExecOptions::capabilities>},
    FlagSpec{.name = "no-new-privs",
             .help = "set no_new_privs for the process",
             .set_bool = store_bool<&Invocation::exec, &container::ExecOptions::no_new_privileges>},
    FlagSpec{.name = "process-label",
             .value_name = "LABEL",
             .help = "SELinux label of the process",
             .set_value = store_text<&Invocation::exec, &container::ExecOptions::process_label>},
    FlagSpec{.name = "apparmor",
             .value_name = "PROFILE",
             .help = "AppArmor profile of the process",
             .set_value = store_text<&Invocation::exec, &container::ExecOptions::apparmor_profile>},
    FlagSpec{.name = "preserve-fds",
             .value_name = "N",
             .help = "pass N extra fds (3 to 3+N-1) to the process",
             .set_value = [](Invocation &inv, std::string_view v) -> Result<void> {
               auto n = parse_decimal<unsigned>(v);
               if (!n)
                 return invalid("preserve-fds", v, "a non-negative integer");
               inv.exec.preserve_fds = *n;
               return ok();
             }},
    FlagSpec{.name = "cgroup",
             .value_name = "PATH",
             .help = "run in this existing sub-cgroup of the container's; "
                     "CONTROLLER[,CONTROLLER...]:PATH for some hierarchies only (repeatable)",
             .set_value = add_exec_cgroup},
    FlagSpec{.name = "ignore-paused",
             .help = "exec in a paused container too (the process starts once it is resumed)",
             .set_bool = store_bool<&Invocation::exec, &container::ExecOptions::ignore_paused>},
};

constexpr std::array kSpecFlags = {
    FlagSpec{.name = "bundle",
             .short_name = 'b',
             .value_name = "DIR",
             .help = "write config.json into DIR (default: the current directory)",
             .set_value =
                 [](Invocation &inv, std::string_view v) {
                   inv.create.bundle = v.empty() ? "." : std::string(v);
                   return ok();
                 }},
    FlagSpec{.name = "rootless",
             .help = "a config for an unprivileged user (mapped to root in a user namespace)",
             .set_bool = store_bool<&Invocation::spec_rootless>},
};

// What checkpoint and restore share: where the images are, and what criu may
// handle besides plain processes.
constexpr std::array kCriuFlags = {
    FlagSpec{.name = "image-path",
             .value_name = "DIR",
             .help = "directory of the criu images (default: ./checkpoint)",
             .set_value = [](Invocation &inv, std::string_view v) -> Result<void> {
               if (v.empty())
                 return invalid("image-path", v, "a directory");
               inv.criu.image_path = v;
               return ok();
             }},
    FlagSpec{.name = "work-path",
             .value_name = "DIR",
             .help = "directory of criu's logs (default: the image path)",
             .set_value = [](Invocation &inv, std::string_view v) -> Result<void> {
               if (v.empty())
                 return invalid("work-path", v, "a directory");
               inv.criu.work_path = v;
               return ok();
             }},
    FlagSpec{.name = "tcp-established",
             .help = "allow open TCP connections",
             .set_bool = store_bool<&Invocation::criu, &container::CriuFlags::tcp_established>},
    FlagSpec{.name = "file-locks",
             .help = "handle file locks",
             .set_bool = store_bool<&Invocation::criu, &container::CriuFlags::file_locks>},
    FlagSpec{.name = "ext-unix-sk",
             .help = "allow external unix sockets",
             .set_bool = store_bool<&Invocation::criu, &container::CriuFlags::ext_unix_sk>},
    FlagSpec{.name = "shell-job",
             .help = "allow a shell job (processes of the caller's session)",
             .set_bool = store_bool<&Invocation::criu, &container::CriuFlags::shell_job>},
};

constexpr auto kCheckpointFlags =
    concat(kCriuFlags, std::array{
                           FlagSpec{.name = "leave-running",
                                    .help = "leave the processes running after the checkpoint",
                                    .set_bool = store_bool<&Invocation::leave_running>},
                       });

constexpr auto kRestoreFlags = concat(
    kCriuFlags,
    std::array{
        kBundleFlag,
        FlagSpec{.name = "pid-file",
                 .value_name = "FILE",
                 .help = "write the restored container's pid to FILE",
                 .set_value = store_text<&Invocation::create, &container::CreateOptions::pid_file>},
        FlagSpec{.name = "console-socket",
                 .value_name = "SOCKET",
                 .help = "for a terminal (restore of one is not supported yet)",
                 .set_value =
                     store_text<&Invocation::create, &container::CreateOptions::console_socket>},
        kDetachFlag,
    });

// ---- Positional arguments. ----

constexpr PositionalSpec kIdArg{.name = "ID", .set = store_text<&Invocation::id>};

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

constexpr std::array kPsArgs = {
    kIdArg,
    PositionalSpec{.name = "PS_ARGS",
                   .required = false,
                   .set = append_text<&Invocation::ps_args>,
                   .rest = true},
};

// Everything after the id is the command, flags included (runc's reading:
// `exec ID sh -c ...`).
constexpr std::array kExecArgs = {
    kIdArg,
    PositionalSpec{.name = "COMMAND",
                   .required = false,
                   .set = append_text<&Invocation::exec, &container::ExecOptions::args>,
                   .rest = true},
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
    CommandSpec{.name = "create",
                .summary = "create a container from a bundle; it waits for 'berth start'",
                .flags = kCreateFlags,
                .positionals = kIdArgs,
                .run = create_command,
                .preserved_fds = PreservedFds::Create,
                .clones_into_container = true},
    CommandSpec{.name = "start",
                .summary = "run the user process of a created container",
                .positionals = kIdArgs,
                .run = start_command},
    CommandSpec{.name = "state",
                .summary = "print the state of a container as JSON",
                .positionals = kIdArgs,
                .run = state_command},
    CommandSpec{.name = "kill",
                .summary = "send a signal (default SIGTERM) to a container's init process",
                .flags = kKillFlags,
                .positionals = kKillArgs,
                .run = kill_command},
    CommandSpec{.name = "delete",
                .summary = "delete a container and its resources",
                .flags = kDeleteFlags,
                .positionals = kIdArgs,
                .run = delete_command},
    CommandSpec{.name = "run",
                .summary = "create and start a container, wait for it, delete it",
                .flags = kRunFlags,
                .positionals = kIdArgs,
                .run = run_command,
                .preserved_fds = PreservedFds::Create,
                .clones_into_container = true},
    CommandSpec{.name = "list",
                .alias = "ls",
                .summary = "list the containers under --root",
                .flags = kListFlags,
                .run = list_command},
    CommandSpec{.name = "pause",
                .summary = "freeze every process of a container",
                .positionals = kIdArgs,
                .run = pause_command},
    CommandSpec{.name = "resume",
                .summary = "thaw the processes of a paused container",
                .positionals = kIdArgs,
                .run = resume_command},
    CommandSpec{.name = "update",
                .summary = "change the resource limits of a container",
                .flags = kUpdateFlags,
                .positionals = kIdArgs,
                .run = update_command},
    CommandSpec{.name = "ps",
                .summary = "show the processes of a container (PS_ARGS go to ps(1), default -ef)",
                .flags = kPsFlags,
                .positionals = kPsArgs,
                .run = ps_command},
    CommandSpec{.name = "events",
                .summary = "print a container's statistics (and OOM kills) as JSON lines",
                .flags = kEventsFlags,
                .positionals = kIdArgs,
                .run = events_command},
    CommandSpec{.name = "help",
                .summary = "show the help of berth or of a command",
                .positionals = kHelpArgs,
                .run = help_command},
    CommandSpec{.name = "exec",
                .summary = "run another process in a running container",
                .flags = kExecFlags,
                .positionals = kExecArgs,
                .run = exec_command,
                .preserved_fds = PreservedFds::Exec,
                .clones_into_container = true},
    CommandSpec{.name = "spec",
                .summary = "write a default config.json into the bundle",
                .flags = kSpecFlags,
                .run = spec_command},
    CommandSpec{.name = "features",
                .summary = "print what this berth supports, as JSON",
                .run = features_command},
    CommandSpec{.name = "checkpoint",
                .summary = "save a running container's processes to images with criu",
                .flags = kCheckpointFlags,
                .positionals = kIdArgs,
                .run = checkpoint_command},
    CommandSpec{.name = "restore",
                .summary =
                    "create a container from a bundle whose processes criu restores from images",
                .flags = kRestoreFlags,
                .positionals = kIdArgs,
                .run = restore_command},
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
