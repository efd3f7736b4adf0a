#include <criterion/criterion.h>

#include <csignal>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "args.hpp"

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

Command command_of(const Parsed &p) {
  cr_assert(p.invocation.command != nullptr);
  return p.invocation.command->command;
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
  cr_assert(command_of(p) == Command::State);
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
  cr_assert(command_of(p) == Command::Create);
  cr_assert_str_eq(create.id.c_str(), "c1");
  cr_assert_str_eq(create.bundle.c_str(), "/b");
  cr_assert_str_eq(create.pid_file.c_str(), "/p");
  cr_assert(create.no_pivot);
  cr_assert(create.no_new_keyring);
  cr_assert_eq(create.preserve_fds, 2u);

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
  cr_assert(command_of(p) == Command::Run);
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
  cr_assert(command_of(p) == Command::Delete);
  cr_assert(!parse({"delete", "c1"}).invocation.force);

  auto l = parse({"ls", "-f", "json", "-q"});
  cr_assert(l.result.has_value());
  cr_assert(command_of(l) == Command::List);
  cr_assert(l.invocation.list_format == ListFormat::Json);
  cr_assert(l.invocation.quiet);
  auto t = parse({"list", "--format=table"});
  cr_assert(t.result.has_value() && t.invocation.list_format == ListFormat::Table);
  cr_assert(contains(error_of(parse({"list", "--format", "yaml"})), "invalid --format"));
  cr_assert(contains(error_of(parse({"list", "c1"})), "unexpected argument"));
}

Test(cli_args, missing_id) {
  for (std::string_view command : {"create", "start", "state", "kill", "delete", "run"}) {
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
  auto p = parse({"--systemd-cgroup", "--log-format=json", "--log", "/tmp/l", "create", "c1"});
  assert_error(p, "--systemd-cgroup is not supported yet");
  cr_assert_str_eq(p.invocation.global.log_file.c_str(), "/tmp/l");
  cr_assert(p.invocation.global.log_format == LogFormat::Json);
  cr_assert(!p.invocation.global.log_format_invalid);
  // The first refusal is the one reported.
  assert_error(parse({"--rootless=true", "--systemd-cgroup", "list"}),
               "--rootless true is not supported yet");
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

  for (std::string_view command : {"create", "start", "state", "kill", "delete", "run", "list"}) {
    auto p = parse({command, "--help"});
    cr_assert(p.result.has_value(), "%s --help", std::string(command).c_str());
    cr_assert(p.invocation.help);
    cr_assert(parse({command, "-h"}).invocation.help);
  }
  auto topic = parse({"help", "kill"});
  cr_assert(topic.result.has_value() && command_of(topic) == Command::Help);
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
  for (std::string_view command : {"exec", "ps", "pause", "resume", "update", "events", "spec",
                                   "features", "checkpoint", "restore"}) {
    auto p = parse({command, "--anything", "c1"});
    cr_assert(p.result.has_value(), "recognized: the command itself refuses to run");
    cr_assert(command_of(p) == Command::NotSupported);
  }
  assert_error(parse({"create", "--console-socket", "/s", "c1"}),
               "--console-socket is not supported yet");
  assert_error(parse({"--systemd-cgroup", "state", "c1"}), "--systemd-cgroup is not supported yet");
  assert_error(parse({"--rootless", "true", "state", "c1"}),
               "--rootless true is not supported yet");
  auto off = parse({"--rootless=false", "--systemd-cgroup=false", "state", "c1"});
  cr_assert(off.result.has_value());
  cr_assert(off.invocation.global.rootless == Rootless::False);
  auto automatic = parse({"--rootless", "auto", "state", "c1"});
  cr_assert(automatic.result.has_value());
  cr_assert(automatic.invocation.global.rootless == Rootless::Auto);
  cr_assert(
      contains(error_of(parse({"--rootless", "maybe", "state", "c1"})), "invalid --rootless"));
}

Test(cli_args, criu_is_accepted_and_ignored) {
  auto p = parse({"--criu", "/usr/sbin/criu", "state", "c1"});
  cr_assert(p.result.has_value());
  cr_assert(command_of(p) == Command::State);
}
