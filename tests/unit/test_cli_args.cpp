#include <criterion/criterion.h>

#include "string_assert.hpp"

#include <csignal>
#include <cstdint>

#include <algorithm>
#include <chrono>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "args.hpp"
#include "byte_size.hpp"
#include "go_duration.hpp"

using namespace berth;
using namespace berth::cli;

namespace {

struct Parsed {
  Invocation invocation;
  Result<void> result;
};

Parsed parse(std::initializer_list<std::string_view> args) {
  std::vector<std::string_view> list(args);
  Parsed parsed{Invocation{}, {}};
  parsed.result = parse_command_line(list, parsed.invocation);
  return parsed;
}

std::string_view command_of(const Parsed &p) {
  cr_assert(p.invocation.command != nullptr);
  return p.invocation.command->name;
}

std::string error_of(const Parsed &p) {
  cr_assert(!p.result.has_value(), "expected a parse error");
  return p.result.error().message();
}

// Criterion's string asserts keep a pointer past the full expression, so compare here.
void assert_error(const Parsed &p, std::string_view expected) {
  std::string actual = error_of(p);
  cr_assert(actual == expected, "error \"%s\", expected \"%s\"", actual.c_str(),
            std::string(expected).c_str());
}

bool contains(const std::string &text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

} // namespace

Test(cli_args, global_flags_both_spellings) {
  auto p =
      parse({"--root", "/tmp/r", "--log=/tmp/l", "--log-format", "json", "--debug", "state", "c1"});
  cr_assert(p.result.has_value(), "%s", p.result ? "" : p.result.error().message().c_str());
  cr_assert_str_eq(p.invocation.global.options.root.c_str(), "/tmp/r");
  cr_assert_str_eq(p.invocation.global.log_file.c_str(), "/tmp/l");
  cr_assert(p.invocation.global.log_format == LogFormat::Json);
  cr_assert(p.invocation.global.debug);
  cr_assert(command_of(p) == "state");
  cr_assert_str_eq(p.invocation.id.c_str(), "c1");

  auto q = parse({"--root=/x", "--log-format=text", "-debug", "start", "c2"});
  cr_assert(q.result.has_value());
  cr_assert_str_eq(q.invocation.global.options.root.c_str(), "/x");
  cr_assert(q.invocation.global.log_format == LogFormat::Text);
  cr_assert(q.invocation.global.debug, "Go-style single-dash long flags work, as in runc");
}

Test(cli_args, defaults) {
  auto p = parse({"create", "c1"});
  cr_assert(p.result.has_value());
  cr_assert_str_eq(p.invocation.global.options.root.c_str(), "/run/berth");
  cr_assert(p.invocation.global.log_file.empty());
  cr_assert(!p.invocation.global.debug);
  auto create = p.invocation.create_options();
  cr_assert_str_eq(create.id.c_str(), "c1");
  cr_assert_str_eq(create.bundle.c_str(), ".");
  cr_assert(create.pid_file.empty());
  cr_assert_eq(create.preserve_fds, 0u);
  cr_assert(!create.no_pivot && !create.no_new_keyring);
}

Test(cli_args, create_flags_long_short_and_after_id) {
  auto p = parse({"create", "--bundle", "/b", "--pid-file=/p", "--no-pivot", "c1",
                  "--no-new-keyring", "--preserve-fds", "2"});
  cr_assert(p.result.has_value(), "%s", p.result ? "" : p.result.error().message().c_str());
  auto create = p.invocation.create_options();
  cr_assert(command_of(p) == "create");
  cr_assert_str_eq(create.id.c_str(), "c1");
  cr_assert_str_eq(create.bundle.c_str(), "/b");
  cr_assert_str_eq(create.pid_file.c_str(), "/p");
  cr_assert(create.no_pivot);
  cr_assert(create.no_new_keyring);
  cr_assert_eq(create.preserve_fds, 2u);

  cr_assert(create.console_socket.empty());

  auto console = parse({"create", "--console-socket", "/run/tty.sock", "c1"});
  cr_assert(console.result.has_value());
  BERTH_ASSERT_STR_EQ(console.invocation.create_options().console_socket, "/run/tty.sock");
  auto in_run = parse({"run", "--console-socket=/s", "-d", "c1"});
  cr_assert(in_run.result.has_value());
  BERTH_ASSERT_STR_EQ(in_run.invocation.run_options().create.console_socket, "/s");

  auto q = parse({"create", "c1", "-b", "/other"});
  cr_assert(q.result.has_value());
  cr_assert_str_eq(q.invocation.create.bundle.c_str(), "/other");
  auto r = parse({"create", "-b=/eq", "c1"});
  cr_assert(r.result.has_value());
  cr_assert_str_eq(r.invocation.create.bundle.c_str(), "/eq");
}

Test(cli_args, boolean_flags_take_go_bool_values) {
  auto p = parse({"create", "--no-pivot=false", "--no-new-keyring=1", "c1"});
  cr_assert(p.result.has_value());
  cr_assert(!p.invocation.create.no_pivot);
  cr_assert(p.invocation.create.no_new_keyring);
  cr_assert(contains(error_of(parse({"create", "--no-pivot=maybe", "c1"})), "--no-pivot"));
}

Test(cli_args, run_flags) {
  auto p = parse({"run", "-d", "--keep", "-b", "/b", "c1"});
  cr_assert(p.result.has_value());
  cr_assert(command_of(p) == "run");
  auto run = p.invocation.run_options();
  cr_assert(run.detach);
  cr_assert(run.keep);
  cr_assert_str_eq(run.create.bundle.c_str(), "/b");
  cr_assert_str_eq(run.create.id.c_str(), "c1");
  auto q = parse({"run", "c1", "--detach"});
  cr_assert(q.result.has_value() && q.invocation.detach);
}

Test(cli_args, preserve_fds_numbers) {
  cr_assert_eq(parse({"run", "--preserve-fds=0", "c"}).invocation.create.preserve_fds, 0u);
  cr_assert_eq(parse({"run", "--preserve-fds", "17", "c"}).invocation.create.preserve_fds, 17u);
  for (std::string_view bad : {"-1", "x", "", "3x", "1.5", "+2", "99999999999999999999"}) {
    std::string arg = "--preserve-fds=" + std::string(bad);
    auto p = parse({"create", arg, "c1"});
    cr_assert(contains(error_of(p), "invalid --preserve-fds"), "%s", arg.c_str());
  }
}

Test(cli_args, kill_signal_and_all) {
  auto p = parse({"kill", "c1"});
  cr_assert(p.result.has_value());
  cr_assert_eq(p.invocation.signal, SIGTERM);
  cr_assert(!p.invocation.all);

  auto q = parse({"kill", "--all", "c1", "KILL"});
  cr_assert(q.result.has_value());
  cr_assert_eq(q.invocation.signal, SIGKILL);
  cr_assert(q.invocation.all);

  auto r = parse({"kill", "c1", "9", "-a"});
  cr_assert(r.result.has_value());
  cr_assert_eq(r.invocation.signal, 9);
  cr_assert(r.invocation.all);

  cr_assert_eq(parse({"kill", "c1", "sighup"}).invocation.signal, SIGHUP);
  assert_error(parse({"kill", "c1", "FOO"}), "invalid signal \"FOO\"");
  cr_assert(contains(error_of(parse({"kill", "c1", "9", "extra"})), "unexpected argument"));
}

Test(cli_args, delete_and_list) {
  auto p = parse({"delete", "-f", "c1"});
  cr_assert(p.result.has_value() && p.invocation.force);
  cr_assert(command_of(p) == "delete");
  cr_assert(!parse({"delete", "c1"}).invocation.force);

  auto l = parse({"ls", "-f", "json", "-q"});
  cr_assert(l.result.has_value());
  cr_assert(command_of(l) == "list");
  cr_assert(l.invocation.list_format == ListFormat::Json);
  cr_assert(l.invocation.quiet);
  auto t = parse({"list", "--format=table"});
  cr_assert(t.result.has_value() && t.invocation.list_format == ListFormat::Table);
  cr_assert(contains(error_of(parse({"list", "--format", "yaml"})), "invalid --format"));
  cr_assert(contains(error_of(parse({"list", "c1"})), "unexpected argument"));
}

Test(cli_args, missing_id) {
  for (std::string_view command : {"create", "start", "state", "kill", "delete", "run", "pause",
                                   "resume", "update", "ps", "events"}) {
    std::string error = error_of(parse({command}));
    cr_assert(contains(error, "missing container ID"), "%s", error.c_str());
    cr_assert(!contains(error, "\n"), "usage errors are one line");
  }
  cr_assert(contains(error_of(parse({"create", "-b", "/b"})), "missing container ID"));
}

Test(cli_args, unknown_flags_and_commands) {
  cr_assert(contains(error_of(parse({"create", "--bogus", "c1"})), "unknown flag --bogus"));
  cr_assert(contains(error_of(parse({"create", "--bogus=1", "c1"})), "unknown flag --bogus"));
  cr_assert(contains(error_of(parse({"start", "-x", "c1"})), "unknown flag -x"));
  cr_assert(contains(error_of(parse({"--bogus", "state", "c1"})), "unknown flag --bogus"));
  cr_assert(contains(error_of(parse({"frobnicate"})), "unknown command \"frobnicate\""));
  // Global flags belong before the subcommand, as in runc.
  cr_assert(contains(error_of(parse({"state", "--root", "/r", "c1"})), "unknown flag --root"));
  // Flags of one subcommand are not another's.
  cr_assert(contains(error_of(parse({"start", "--bundle", "/b", "c1"})), "unknown flag"));
}

Test(cli_args, missing_flag_value) {
  cr_assert(contains(error_of(parse({"create", "c1", "--bundle"})), "--bundle needs a value"));
  cr_assert(contains(error_of(parse({"--root"})), "--root needs a value"));
}

Test(cli_args, bad_log_format) {
  auto p = parse({"--log", "/tmp/l", "--log-format", "xml", "state", "c1"});
  assert_error(p, "invalid --log-format \"xml\": expected text or json");
  cr_assert_str_eq(p.invocation.global.log_file.c_str(), "/tmp/l");
  cr_assert(p.invocation.global.log_format_invalid, "the file must not get a guessed format");
  assert_error(parse({"--log-format=", "state", "c1"}),
               "invalid --log-format \"\": expected text or json");
}

Test(cli_args, refused_global_flag_still_reads_the_log_flags_after_it) {
  auto p = parse({"--rootless=maybe", "--log-format=json", "--log", "/tmp/l", "create", "c1"});
  assert_error(p, "invalid --rootless \"maybe\": expected true, false or auto");
  cr_assert_str_eq(p.invocation.global.log_file.c_str(), "/tmp/l");
  cr_assert(p.invocation.global.log_format == LogFormat::Json);
  cr_assert(!p.invocation.global.log_format_invalid);
  // The first refusal is the one reported.
  assert_error(parse({"--rootless=maybe", "--rootless=perhaps", "list"}),
               "invalid --rootless \"maybe\": expected true, false or auto");
}

Test(cli_args, double_dash_ends_flags) {
  auto p = parse({"kill", "--", "c1", "KILL"});
  cr_assert(p.result.has_value());
  cr_assert_str_eq(p.invocation.id.c_str(), "c1");
  auto q = parse({"start", "--", "-weird"});
  cr_assert(q.result.has_value());
  cr_assert_str_eq(q.invocation.id.c_str(), "-weird");
}

Test(cli_args, help_and_version) {
  auto none = parse({});
  cr_assert(none.result.has_value() && none.invocation.help && !none.invocation.command);
  auto global = parse({"--help"});
  cr_assert(global.result.has_value() && global.invocation.help);
  cr_assert(parse({"-h"}).invocation.help);
  auto version = parse({"--version"});
  cr_assert(version.result.has_value() && version.invocation.version);
  cr_assert(parse({"-v"}).invocation.version);

  for (std::string_view command : {"create", "start", "state", "kill", "delete", "run", "list",
                                   "pause", "resume", "update", "ps", "events"}) {
    auto p = parse({command, "--help"});
    cr_assert(p.result.has_value(), "%s --help", std::string(command).c_str());
    cr_assert(p.invocation.help);
    cr_assert(parse({command, "-h"}).invocation.help);
  }
  auto topic = parse({"help", "kill"});
  cr_assert(topic.result.has_value() && command_of(topic) == "help");
  cr_assert_str_eq(topic.invocation.help_topic.c_str(), "kill");
  cr_assert(!parse({"help", "nope"}).result.has_value());
}

Test(cli_args, usage_is_generated_from_the_tables) {
  std::string create = usage(find_command("create"));
  cr_assert(contains(create, "Usage: berth create [OPTIONS] ID"), "%s", create.c_str());
  for (const FlagSpec &flag : find_command("run")->flags)
    cr_assert(contains(usage(find_command("run")), "--" + std::string(flag.name)));
  cr_assert(contains(create, "-b, --bundle DIR"));
  cr_assert(contains(create, "-h, --help"));
  cr_assert(contains(usage(find_command("kill")), "Usage: berth kill [OPTIONS] ID [SIGNAL]"));
  std::string global = usage(nullptr);
  for (const CommandSpec &command : commands())
    cr_assert(contains(global, command.name));
  cr_assert(contains(global, "--log-format FORMAT"));
  cr_assert(contains(global, "-v, --version"));
}

Test(cli_args, unsupported_features_are_refused) {
  // Accepted everywhere (engines pass it to every command); create refuses it.
  auto systemd = parse({"--systemd-cgroup", "state", "c1"});
  cr_assert(systemd.result.has_value());
  cr_assert(systemd.invocation.global.options.systemd_cgroup);
  auto on = parse({"--rootless", "true", "state", "c1"});
  cr_assert(on.result.has_value());
  cr_assert(on.invocation.global.rootless == Rootless::True);
  cr_assert(!on.invocation.global.root_given);
  auto rooted = parse({"--root", "/tmp/s", "--rootless=1", "state", "c1"});
  cr_assert(rooted.invocation.global.root_given);
  cr_assert(rooted.invocation.global.rootless == Rootless::True);
  auto off = parse({"--rootless=false", "--systemd-cgroup=false", "state", "c1"});
  cr_assert(off.result.has_value());
  cr_assert(off.invocation.global.rootless == Rootless::False);
  auto automatic = parse({"--rootless", "auto", "state", "c1"});
  cr_assert(automatic.result.has_value());
  cr_assert(automatic.invocation.global.rootless == Rootless::Auto);
  cr_assert(
      contains(error_of(parse({"--rootless", "maybe", "state", "c1"})), "invalid --rootless"));
}

Test(cli_args, criu_names_the_binary_for_every_command) {
  auto p = parse({"--criu", "/opt/criu/bin/criu", "state", "c1"});
  cr_assert(p.result.has_value());
  cr_assert(command_of(p) == "state");
  cr_assert_eq(p.invocation.global.options.criu, "/opt/criu/bin/criu");
  cr_assert_eq(parse({"state", "c1"}).invocation.global.options.criu, "criu");
  auto empty = parse({"--criu", "", "state", "c1"});
  cr_assert(empty.result.has_value(), "engines may pass an empty --criu to every command");
  cr_assert_eq(empty.invocation.global.options.criu, "criu");
}

Test(cli_args, checkpoint_flags) {
  auto p = parse({"checkpoint", "--image-path", "/img", "--work-path", "/work", "--leave-running",
                  "--tcp-established", "--file-locks", "--ext-unix-sk", "--shell-job", "c1"});
  cr_assert(p.result.has_value());
  cr_assert(command_of(p) == "checkpoint");
  auto o = p.invocation.checkpoint_options();
  cr_assert_eq(o.id, "c1");
  cr_assert_eq(o.criu.image_path, "/img");
  cr_assert_eq(o.criu.work_path, "/work");
  cr_assert(o.leave_running && o.criu.tcp_established && o.criu.file_locks && o.criu.ext_unix_sk &&
            o.criu.shell_job);
  auto plain = parse({"checkpoint", "c1"}).invocation.checkpoint_options();
  cr_assert(plain.criu.image_path.empty() && !plain.leave_running && !plain.criu.tcp_established);
  assert_error(parse({"checkpoint", "--image-path", "", "c1"}),
               "invalid --image-path \"\": expected a directory");
  cr_assert(!parse({"checkpoint", "--bundle", "b", "c1"}).result.has_value());
}

Test(cli_args, restore_flags) {
  auto p = parse({"restore", "-d", "--bundle", "/b", "--pid-file", "/p", "--console-socket", "/s",
                  "--image-path", "/img", "--work-path", "/w", "--tcp-established", "--file-locks",
                  "c2"});
  cr_assert(p.result.has_value());
  cr_assert(command_of(p) == "restore");
  auto o = p.invocation.restore_options();
  cr_assert_eq(o.create.id, "c2");
  cr_assert_eq(o.create.bundle, "/b");
  cr_assert_eq(o.create.pid_file, "/p");
  cr_assert_eq(o.create.console_socket, "/s");
  cr_assert_eq(o.criu.image_path, "/img");
  cr_assert_eq(o.criu.work_path, "/w");
  cr_assert(o.detach && o.criu.tcp_established && o.criu.file_locks);
  // --leave-running is checkpoint's.
  cr_assert(!parse({"restore", "--leave-running", "c2"}).result.has_value());
}

// ---- pause, resume, update, ps, events ----

Test(cli_args, pause_and_resume) {
  auto p = parse({"pause", "c1"});
  cr_assert(p.result.has_value());
  cr_assert(command_of(p) == "pause");
  cr_assert_str_eq(p.invocation.id.c_str(), "c1");
  auto r = parse({"resume", "c2"});
  cr_assert(r.result.has_value());
  cr_assert(command_of(r) == "resume");
  cr_assert_str_eq(r.invocation.id.c_str(), "c2");
  cr_assert(contains(error_of(parse({"pause", "c1", "c2"})), "unexpected argument"));
  cr_assert(contains(error_of(parse({"resume", "--force", "c1"})), "unknown flag --force"));
}

Test(cli_args, update_resources_file_both_spellings) {
  auto p = parse({"update", "--resources", "/tmp/r.json", "c1"});
  cr_assert(p.result.has_value());
  cr_assert(command_of(p) == "update");
  cr_assert_str_eq(p.invocation.resources_file.c_str(), "/tmp/r.json");
  cr_assert_str_eq(p.invocation.id.c_str(), "c1");
  BERTH_ASSERT_STR_EQ(parse({"update", "-r", "-", "c1"}).invocation.resources_file, "-");
  BERTH_ASSERT_STR_EQ(parse({"update", "c1", "-r=/x"}).invocation.resources_file, "/x");
  BERTH_ASSERT_STR_EQ(parse({"update", "--resources=/y", "c1"}).invocation.resources_file, "/y");
  cr_assert(parse({"update", "c1"}).invocation.resources_file.empty());
  cr_assert(contains(error_of(parse({"update", "-r", "", "c1"})), "invalid --resources"));
  cr_assert(contains(error_of(parse({"update", "c1", "-r"})), "--resources needs a value"));
}

Test(cli_args, update_memory_flags) {
  auto p =
      parse({"update", "--memory", "64m", "--memory-reservation=32M", "--memory-swap", "-1", "c1"});
  cr_assert(p.result.has_value(), "%s", p.result ? "" : p.result.error().message().c_str());
  const auto &memory = p.invocation.resource_flags.memory;
  cr_assert(memory.has_value());
  cr_assert_eq(*memory->limit, 64ll << 20);
  cr_assert_eq(*memory->reservation, 32ll << 20);
  cr_assert_eq(*memory->swap, -1);
  cr_assert(!p.invocation.resource_flags.cpu, "no cpu flag, no cpu object");

  auto q =
      parse({"update", "c1", "--memory=1048576", "--memory-reservation", "-1", "--memory-swap=2g"});
  cr_assert(q.result.has_value());
  cr_assert_eq(*q.invocation.resource_flags.memory->limit, 1048576);
  cr_assert_eq(*q.invocation.resource_flags.memory->reservation, -1);
  cr_assert_eq(*q.invocation.resource_flags.memory->swap, 2ll << 30);
  cr_assert(!q.invocation.resource_flags.pids_limit);

  for (std::string_view bad : {"", "-2", "lots", "12q", "1e6"}) {
    std::string arg = "--memory=" + std::string(bad);
    auto r = parse({"update", arg, "c1"});
    cr_assert(contains(error_of(r), "invalid --memory \"" + std::string(bad) + "\""), "%s",
              arg.c_str());
  }
  cr_assert(contains(error_of(parse({"update", "--memory-swap", "x", "c1"})),
                     "invalid --memory-swap \"x\""));
  cr_assert(contains(error_of(parse({"update", "--memory-reservation", "x", "c1"})),
                     "invalid --memory-reservation \"x\""));
}

Test(cli_args, update_cpu_flags) {
  auto p = parse({"update", "--cpu-share", "512", "--cpu-quota", "-1", "--cpu-period=100000",
                  "--cpu-burst", "1000", "--cpu-rt-period", "1000000", "--cpu-rt-runtime=950000",
                  "--cpuset-cpus", "0-3,7", "--cpuset-mems=0", "c1"});
  cr_assert(p.result.has_value(), "%s", p.result ? "" : p.result.error().message().c_str());
  const auto &cpu = p.invocation.resource_flags.cpu;
  cr_assert(cpu.has_value());
  cr_assert_eq(*cpu->shares, 512u);
  cr_assert_eq(*cpu->quota, -1);
  cr_assert_eq(*cpu->period, 100000u);
  cr_assert_eq(*cpu->burst, 1000u);
  cr_assert_eq(*cpu->realtime_period, 1000000u);
  cr_assert_eq(*cpu->realtime_runtime, 950000);
  cr_assert_str_eq(cpu->cpus->c_str(), "0-3,7");
  cr_assert_str_eq(cpu->mems->c_str(), "0");
  cr_assert(!p.invocation.resource_flags.memory, "no memory flag, no memory object");

  // runc spells it --cpu-share; Docker's --cpu-shares is accepted too.
  cr_assert_eq(*parse({"update", "--cpu-shares=1024", "c1"}).invocation.resource_flags.cpu->shares,
               1024u);
  cr_assert_eq(
      *parse({"update", "--cpu-quota", "50000", "c1"}).invocation.resource_flags.cpu->quota, 50000);

  assert_error(parse({"update", "--cpu-share", "-1", "c1"}),
               "invalid --cpu-share \"-1\": expected a non-negative integer");
  assert_error(parse({"update", "--cpu-shares", "x", "c1"}),
               "invalid --cpu-share \"x\": expected a non-negative integer");
  assert_error(parse({"update", "--cpu-quota", "1.5", "c1"}),
               "invalid --cpu-quota \"1.5\": expected an integer");
  for (std::string_view flag : {"--cpu-period", "--cpu-burst", "--cpu-rt-period"}) {
    auto r = parse({"update", flag, "-5", "c1"});
    cr_assert(contains(error_of(r), "invalid " + std::string(flag)), "%s",
              std::string(flag).c_str());
  }
  cr_assert(contains(error_of(parse({"update", "--cpu-rt-runtime", "+5", "c1"})),
                     "invalid --cpu-rt-runtime"));
  cr_assert(contains(error_of(parse({"update", "--cpu-period", "99999999999999999999", "c1"})),
                     "invalid --cpu-period"));
  cr_assert(contains(error_of(parse({"update", "--cpuset-cpus=", "c1"})), "invalid --cpuset-cpus"));
  cr_assert(
      contains(error_of(parse({"update", "--cpuset-mems", "", "c1"})), "invalid --cpuset-mems"));
}

Test(cli_args, update_pids_and_blkio_flags) {
  auto p = parse({"update", "--pids-limit", "100", "--blkio-weight", "500", "c1"});
  cr_assert(p.result.has_value());
  cr_assert_eq(*p.invocation.resource_flags.pids_limit, 100);
  cr_assert_eq(*p.invocation.resource_flags.block_io->weight, 500);
  cr_assert_eq(*parse({"update", "--pids-limit=-1", "c1"}).invocation.resource_flags.pids_limit,
               -1);
  cr_assert_eq(
      *parse({"update", "--blkio-weight=10", "c1"}).invocation.resource_flags.block_io->weight, 10);
  // 0 is runc's "leave the weight alone": taken here, cleared by update
  // (resources_to_update) like every other limit of 0.
  auto zero = parse({"update", "--blkio-weight", "0", "c1"});
  cr_assert(zero.result.has_value());
  cr_assert_eq(*zero.invocation.resource_flags.block_io->weight, 0);
  for (std::string_view bad : {"9", "1001", "-1", "70000", "x"})
    cr_assert(contains(error_of(parse({"update", "--blkio-weight", bad, "c1"})),
                       "invalid --blkio-weight \"" + std::string(bad) +
                           "\": expected an integer from 10 to 1000"));
  cr_assert(
      contains(error_of(parse({"update", "--pids-limit", "ten", "c1"})), "invalid --pids-limit"));
}

Test(cli_args, update_with_no_flag_parses) {
  // The command itself refuses to change nothing (test_cli_update), after
  // reading --resources, which may or may not set something.
  auto p = parse({"update", "c1"});
  cr_assert(p.result.has_value());
  cr_assert(!p.invocation.resource_flags.memory && !p.invocation.resource_flags.cpu &&
            !p.invocation.resource_flags.pids_limit && !p.invocation.resource_flags.block_io);
  cr_assert(contains(error_of(parse({"update", "--kernel-memory", "1m", "c1"})), "unknown flag"));
}

Test(cli_args, ps_format_and_args) {
  auto p = parse({"ps", "c1"});
  cr_assert(p.result.has_value());
  cr_assert(command_of(p) == "ps");
  cr_assert(p.invocation.ps_format == PsFormat::Table);
  cr_assert(p.invocation.ps_args.empty());

  cr_assert(parse({"ps", "--format", "json", "c1"}).invocation.ps_format == PsFormat::Json);
  cr_assert(parse({"ps", "-f", "json", "c1"}).invocation.ps_format == PsFormat::Json);
  cr_assert(parse({"ps", "--format=table", "c1"}).invocation.ps_format == PsFormat::Table);
  cr_assert(parse({"ps", "-f=json", "c1"}).invocation.ps_format == PsFormat::Json);
  assert_error(parse({"ps", "-f", "yaml", "c1"}),
               "invalid --format \"yaml\": expected table or json");

  // Everything after the id goes to ps(1), flags included.
  auto q = parse({"ps", "-f", "table", "c1", "-o", "pid,comm", "--format", "x"});
  cr_assert(q.result.has_value());
  cr_assert_str_eq(q.invocation.id.c_str(), "c1");
  cr_assert_eq(q.invocation.ps_args.size(), 4u);
  cr_assert_str_eq(q.invocation.ps_args[0].c_str(), "-o");
  cr_assert_str_eq(q.invocation.ps_args[1].c_str(), "pid,comm");
  cr_assert_str_eq(q.invocation.ps_args[2].c_str(), "--format");
  cr_assert(q.invocation.ps_format == PsFormat::Table);

  // A "--" between the id and the ps arguments is dropped.
  auto r = parse({"ps", "c1", "--", "-ef"});
  cr_assert(r.result.has_value());
  cr_assert_eq(r.invocation.ps_args.size(), 1u);
  cr_assert_str_eq(r.invocation.ps_args[0].c_str(), "-ef");
  auto s = parse({"ps", "--", "c1", "aux"});
  cr_assert(s.result.has_value());
  cr_assert_str_eq(s.invocation.id.c_str(), "c1");
  cr_assert_eq(s.invocation.ps_args.size(), 1u);

  auto help = parse({"ps", "c1", "--help"});
  cr_assert(help.result.has_value() && !help.invocation.help, "--help after the id is ps's");
  cr_assert_eq(help.invocation.ps_args.size(), 1u);
}

Test(cli_args, events_flags) {
  auto p = parse({"events", "c1"});
  cr_assert(p.result.has_value());
  cr_assert(command_of(p) == "events");
  cr_assert(!p.invocation.stats_once);
  cr_assert(p.invocation.interval == std::chrono::seconds(5));

  auto q = parse({"events", "--stats", "--interval", "500ms", "c1"});
  cr_assert(q.result.has_value());
  cr_assert(q.invocation.stats_once);
  cr_assert(q.invocation.interval == std::chrono::milliseconds(500));
  auto r = parse({"events", "c1", "--interval=1m30s", "--stats=false"});
  cr_assert(r.result.has_value());
  cr_assert(!r.invocation.stats_once);
  cr_assert(r.invocation.interval == std::chrono::seconds(90));

  assert_error(parse({"events", "--interval", "5", "c1"}),
               "invalid --interval \"5\": expected a duration such as 500ms, 5s or 1m30s");
  assert_error(parse({"events", "--interval=0s", "c1"}),
               "--interval must be greater than 0, got \"0s\"");
  assert_error(parse({"events", "--interval=-1s", "c1"}),
               "--interval must be greater than 0, got \"-1s\"");
  cr_assert(contains(error_of(parse({"events", "c1", "--interval"})), "needs a value"));
}

Test(cli_args, usage_of_the_cgroup_commands) {
  std::string ps = usage(find_command("ps"));
  cr_assert(contains(ps, "Usage: berth ps [OPTIONS] ID [PS_ARGS...]"), "%s", ps.c_str());
  cr_assert(contains(ps, "-f, --format FORMAT"));
  std::string update = usage(find_command("update"));
  cr_assert(contains(update, "Usage: berth update [OPTIONS] ID"));
  for (std::string_view flag :
       {"-r, --resources FILE", "--memory SIZE", "--memory-reservation SIZE", "--memory-swap SIZE",
        "--cpu-share N", "--cpu-shares N", "--cpu-quota N", "--cpu-period N", "--cpu-rt-period N",
        "--cpu-rt-runtime N", "--cpuset-cpus LIST", "--cpuset-mems LIST", "--pids-limit N",
        "--blkio-weight N"})
    cr_assert(contains(update, flag), "%s", std::string(flag).c_str());
  std::string events = usage(find_command("events"));
  cr_assert(contains(events, "--interval DURATION") && contains(events, "--stats"));
  cr_assert(contains(usage(find_command("pause")), "Usage: berth pause ID"));
}

// ---- Sizes (update's memory flags) ----

Test(byte_size, plain_bytes_and_units) {
  struct Case {
    std::string_view text;
    std::int64_t bytes;
  };
  for (Case c : {Case{"0", 0},
                 Case{"1", 1},
                 Case{"1048576", 1048576},
                 Case{"1b", 1},
                 Case{"1B", 1},
                 Case{"1k", 1024},
                 Case{"1K", 1024},
                 Case{"1kb", 1024},
                 Case{"1KB", 1024},
                 Case{"1KiB", 1024},
                 Case{"1kib", 1024},
                 Case{"64m", 64ll << 20},
                 Case{"64M", 64ll << 20},
                 Case{"64MB", 64ll << 20},
                 Case{"64MiB", 64ll << 20},
                 Case{"2g", 2ll << 30},
                 Case{"2G", 2ll << 30},
                 Case{"2gb", 2ll << 30},
                 Case{"1t", 1ll << 40},
                 Case{"1T", 1ll << 40},
                 Case{"1p", 1ll << 50},
                 Case{"1.5k", 1536},
                 Case{"1.5g", 3ll << 29},
                 Case{"0.5m", 512 << 10},
                 Case{"2 g", 2ll << 30},
                 Case{"1.0001k", 1024},
                 Case{"8191p", 8191ll << 50}})
    cr_assert(parse_byte_size(c.text) == c.bytes, "%s", std::string(c.text).c_str());
}

Test(byte_size, refuses_everything_else) {
  for (std::string_view bad : {"",
                               "-1",
                               "+1",
                               " 1",
                               "1 ",
                               "k",
                               "1x",
                               "1kk",
                               "1bb",
                               "1ik",
                               "1i",
                               "1.k",
                               ".5k",
                               "1..5",
                               "1.2.3",
                               "1e3",
                               "0x10",
                               "1 kb b",
                               "1  k",
                               "8192p",
                               "99999999999999999999",
                               "9223372036854775808"})
    cr_assert(!parse_byte_size(bad), "%s", std::string(bad).c_str());
  cr_assert(parse_byte_size("9223372036854775807") == INT64_MAX);
}

// ---- Durations (events --interval) ----

Test(go_duration, go_syntax) {
  using namespace std::chrono;
  struct Case {
    std::string_view text;
    nanoseconds value;
  };
  for (Case c : {Case{"0", 0ns},
                 Case{"5s", 5s},
                 Case{"500ms", 500ms},
                 Case{"1m", 1min},
                 Case{"1m30s", 90s},
                 Case{"1h", 1h},
                 Case{"1h2m3s", 3723s},
                 Case{"10ns", 10ns},
                 Case{"7us", 7us},
                 Case{"7\u00b5s", 7us},
                 Case{"7\u03bcs", 7us},
                 Case{"1.5s", 1500ms},
                 Case{".5s", 500ms},
                 Case{"1.s", 1s},
                 Case{"0s", 0ns},
                 Case{"+2s", 2s},
                 Case{"-2s", -2s},
                 Case{"-0", 0ns},
                 Case{"1s500ms", 1500ms},
                 Case{"2562047h", hours(2562047)},
                 Case{"0.000000001s", 1ns},
                 Case{"1.0000000001s", 1s}})
    cr_assert(parse_go_duration(c.text) == c.value, "%s", std::string(c.text).c_str());
  cr_assert(parse_go_duration("9223372036854775807ns") == nanoseconds(INT64_MAX));
  cr_assert(parse_go_duration("-9223372036854775808ns") == nanoseconds(INT64_MIN));
}

Test(go_duration, refuses_everything_else) {
  for (std::string_view bad : {"",
                               "5",
                               "1.5",
                               "s",
                               ".s",
                               "-",
                               "+",
                               "1sec",
                               "1S",
                               "1 s",
                               " 1s",
                               "1s ",
                               "1d",
                               "1ms5",
                               "1.2.3s",
                               "5s-1s",
                               "--5s",
                               "2562048h",
                               "9223372036854775808ns",
                               "99999999999999999999s"})
    cr_assert(!parse_go_duration(bad), "%s", std::string(bad).c_str());
}

// The words of `line`, split at spaces, parsed as a command line.
Parsed parse_words(std::string_view line) {
  std::vector<std::string_view> words;
  for (std::size_t start = 0; start <= line.size();) {
    std::size_t space = std::min(line.find(' ', start), line.size());
    words.push_back(line.substr(start, space - start));
    start = space + 1;
  }
  Parsed parsed{Invocation{}, {}};
  parsed.result = parse_command_line(words, parsed.invocation);
  return parsed;
}

Test(cli_args, exec_flags_and_command) {
  auto p = parse_words("exec -t -d --pid-file /p --console-socket /s --cwd /w -e A=1 --env=B=2 "
                       "-u 1000:100 -g 5 --additional-gids 6 --cap CAP_KILL -c CAP_CHOWN "
                       "--no-new-privs --process-label l --apparmor a --preserve-fds 2 "
                       "--cgroup sub --cgroup memory,pids:m --ignore-paused c1 sh -c -t --help");
  cr_assert(p.result.has_value(), "%s", p.result ? "" : p.result.error().message().c_str());
  cr_assert(command_of(p) == "exec");
  auto options = p.invocation.exec_options();
  cr_assert(options.id == "c1");
  cr_assert((options.args == std::vector<std::string>{"sh", "-c", "-t", "--help"}));
  cr_assert(options.tty && options.detach && options.ignore_paused);
  cr_assert(options.pid_file == "/p" && options.console_socket == "/s");
  cr_assert(options.cwd == "/w");
  cr_assert((options.env == std::vector<std::string>{"A=1", "B=2"}));
  cr_assert(options.uid == 1000u && options.gid == 100u);
  cr_assert((options.additional_gids == std::vector<std::uint32_t>{5, 6}));
  cr_assert((options.capabilities == std::vector<std::string>{"CAP_KILL", "CAP_CHOWN"}));
  cr_assert(options.no_new_privileges == true);
  cr_assert(options.process_label == "l" && options.apparmor_profile == "a");
  cr_assert(options.preserve_fds == 2);
  cr_assert((options.cgroup_paths ==
             std::map<std::string, std::string>{{"", "sub"}, {"memory", "m"}, {"pids", "m"}}));
}

Test(cli_args, exec_defaults_and_process_file) {
  auto p = parse({"exec", "-p", "process.json", "c1"});
  cr_assert(p.result.has_value());
  auto options = p.invocation.exec_options();
  cr_assert(options.process_file == "process.json" && options.args.empty());
  cr_assert(!options.tty && !options.detach && !options.uid && !options.gid && !options.cwd);
  cr_assert(!options.no_new_privileges && options.cgroup_paths.empty());
  auto user_only = parse({"exec", "--user", "7", "c1", "true"});
  cr_assert(user_only.result.has_value());
  cr_assert(user_only.invocation.exec.uid == 7u && !user_only.invocation.exec.gid);
}

Test(cli_args, exec_bad_values) {
  for (std::string_view user : {"", "x", "1:", ":1", "1:2:3", "-1", "4294967296"})
    cr_assert(contains(error_of(parse({"exec", "-u", user, "c1", "true"})), "invalid --user"),
              "--user %s", std::string(user).c_str());
  for (std::string_view cgroup : {"", "memory:", ":x", "memory,:x", ",memory:x"})
    cr_assert(
        contains(error_of(parse({"exec", "--cgroup", cgroup, "c1", "true"})), "invalid --cgroup"),
        "--cgroup %s", std::string(cgroup).c_str());
  cr_assert(contains(error_of(parse({"exec", "--cgroup", "a", "--cgroup", "b", "c1", "true"})),
                     "given twice"));
  cr_assert(contains(
      error_of(parse({"exec", "--cgroup", "memory:a", "--cgroup", "memory:b", "c1", "true"})),
      "controller memory is given twice"));
  cr_assert(
      contains(error_of(parse({"exec", "-g", "x", "c1", "true"})), "invalid --additional-gids"));
  cr_assert(contains(error_of(parse({"exec", "--preserve-fds", "-1", "c1", "true"})),
                     "invalid --preserve-fds"));
  assert_error(parse({"exec"}), "exec: missing container ID (see 'berth exec --help')");
}

Test(cli_args, spec_and_features) {
  auto spec = parse({"spec", "--rootless", "-b", "/tmp/bundle"});
  cr_assert(spec.result.has_value());
  cr_assert(command_of(spec) == "spec");
  cr_assert(spec.invocation.spec_rootless);
  cr_assert(spec.invocation.create.bundle == "/tmp/bundle");
  auto plain = parse({"spec"});
  cr_assert(!plain.invocation.spec_rootless);
  cr_assert(plain.invocation.create.bundle == ".");
  cr_assert(contains(error_of(parse({"spec", "extra"})), "unexpected argument"));
  auto features = parse({"features"});
  cr_assert(features.result.has_value());
  cr_assert(command_of(features) == "features");
  cr_assert(contains(error_of(parse({"features", "--bundle", "x"})), "unknown flag --bundle"));
}

// The table is the dispatch: a row without a run function would parse and then
// do nothing, and only the commands that start container processes may skip
// the rest of main's checks by re-executing berth.
Test(cli_args, every_command_row_runs_something) {
  for (const CommandSpec &command : commands()) {
    cr_assert(command.run != nullptr, "%s has no run function", std::string(command.name).c_str());
    bool starts_container_processes =
        command.name == "create" || command.name == "run" || command.name == "exec";
    cr_assert_eq(command.clones_into_container, starts_container_processes, "%s",
                 std::string(command.name).c_str());
  }
  cr_assert(find_command("ls") == find_command("list"));
}

// Flags whose setters are generated from the field they fill store into that field.
Test(cli_args, generated_setters_fill_their_fields) {
  auto p = parse({"--debug", "--systemd-cgroup", "exec", "--tty", "--cwd", "/w", "-e", "A=1", "-e",
                  "B=2", "--cap", "CAP_KILL", "c1", "true"});
  cr_assert(p.result.has_value(), "%s", p.result ? "" : p.result.error().message().c_str());
  cr_assert(p.invocation.global.debug);
  cr_assert(p.invocation.global.options.systemd_cgroup);
  cr_assert(p.invocation.exec.tty);
  cr_assert(p.invocation.exec.cwd == std::optional<std::string>("/w"));
  cr_assert_eq(p.invocation.exec.env.size(), 2u);
  cr_assert_str_eq(p.invocation.exec.env[1].c_str(), "B=2");
  cr_assert_eq(p.invocation.exec.capabilities.size(), 1u);
}
