// The parsing engine and the --help generator; the rows they read are in
// command_table.cpp.
#include "args.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace berth::cli {
namespace {

std::string help_hint(const CommandSpec *command) {
  if (!command)
    return " (see 'berth --help')";
  return " (see 'berth " + std::string(command->name) + " --help')";
}

// "-x", "--name", "-name" (Go's flag package, which runc uses, treats one and
// two dashes alike), each optionally "=value". A lone "-" is an argument.
bool looks_like_flag(std::string_view arg) {
  return arg.size() > 1 && arg[0] == '-';
}

const FlagSpec *find_flag(std::span<const FlagSpec> flags, std::string_view name) {
  for (std::span<const FlagSpec> table : {flags, common_flags()})
    for (const FlagSpec &flag : table)
      if (name.size() == 1 ? flag.short_name == name[0] : flag.name == name)
        return &flag;
  return nullptr;
}

// A flag as found on the command line, before its setter ran.
struct FlagUse {
  const FlagSpec *flag = nullptr;
  bool on = true;         // a boolean flag's value
  std::string_view value; // a valued flag's value
};

// Reads the flag at args[index], consuming its value (the next argument) when it
// has one and it was not given as --flag=value.
Result<FlagUse> read_flag(const CommandSpec *command, std::span<const FlagSpec> flags,
                          std::span<const std::string_view> args, std::size_t &index) {
  std::string_view arg = args[index];
  std::string_view name = arg.substr(arg.starts_with("--") ? 2 : 1);
  std::optional<std::string_view> inline_value;
  if (auto eq = name.find('='); eq != std::string_view::npos) {
    inline_value = name.substr(eq + 1);
    name = name.substr(0, eq);
  }
  FlagUse use{.flag = name.empty() ? nullptr : find_flag(flags, name)};
  if (!use.flag) {
    std::string where = command ? " for " + std::string(command->name) : "";
    return fail("unknown flag " + std::string(arg.substr(0, arg.find('='))) + where +
                help_hint(command));
  }
  std::string display = "--" + std::string(use.flag->name);
  if (use.flag->set_bool) {
    if (inline_value) {
      auto parsed = parse_bool(*inline_value);
      if (!parsed)
        return fail("invalid value " + quoted(*inline_value) + " for " + display +
                    ": expected true or false");
      use.on = *parsed;
    }
    return use;
  }
  if (inline_value) {
    use.value = *inline_value;
  } else {
    if (index + 1 >= args.size())
      return fail("flag " + display + " needs a value" + help_hint(command));
    use.value = args[++index];
  }
  return use;
}

Result<void> apply(const FlagUse &use, Invocation &out) {
  return use.flag->set_bool ? use.flag->set_bool(out, use.on) : use.flag->set_value(out, use.value);
}

std::string flag_label(const FlagSpec &flag) {
  std::string label = flag.short_name ? std::string("-") + flag.short_name + ", " : "    ";
  label += "--";
  label += flag.name;
  if (!flag.value_name.empty()) {
    label += ' ';
    label += flag.value_name;
  }
  return label;
}

// Two-column "  label   help" lines, the help column aligned across rows.
std::string columns(const std::vector<std::pair<std::string, std::string_view>> &rows) {
  std::size_t width = 0;
  for (const auto &[label, help] : rows)
    width = std::max(width, label.size());
  std::string out;
  for (const auto &[label, help] : rows) {
    out += "  ";
    out += label;
    out.append(width - label.size() + 3, ' ');
    out += help;
    out += '\n';
  }
  return out;
}

std::string flag_lines(std::span<const FlagSpec> flags) {
  std::vector<std::pair<std::string, std::string_view>> rows;
  for (std::span<const FlagSpec> table : {flags, common_flags()})
    for (const FlagSpec &flag : table)
      rows.emplace_back(flag_label(flag), flag.help);
  return columns(rows);
}

} // namespace

container::CreateOptions Invocation::create_options() const {
  container::CreateOptions options = create;
  options.id = id;
  return options;
}

container::RunOptions Invocation::run_options() const {
  return container::RunOptions{.create = create_options(), .detach = detach, .keep = keep};
}

container::ExecOptions Invocation::exec_options() const {
  container::ExecOptions options = exec;
  options.id = id;
  return options;
}

container::CheckpointOptions Invocation::checkpoint_options() const {
  return container::CheckpointOptions{.id = id, .criu = criu, .leave_running = leave_running};
}

container::RestoreOptions Invocation::restore_options() const {
  return container::RestoreOptions{.create = create_options(), .criu = criu, .detach = detach};
}

std::optional<bool> parse_bool(std::string_view text) {
  for (std::string_view yes : {"1", "t", "T", "true", "TRUE", "True"})
    if (text == yes)
      return true;
  for (std::string_view no : {"0", "f", "F", "false", "FALSE", "False"})
    if (text == no)
      return false;
  return std::nullopt;
}

const CommandSpec *find_command(std::string_view name) {
  for (const CommandSpec &command : commands())
    if (command.name == name || (!command.alias.empty() && command.alias == name))
      return &command;
  return nullptr;
}

Result<void> parse_command_line(std::span<const std::string_view> args, Invocation &out) {
  std::size_t i = 0;
  // Global flags come before the subcommand, as in runc. A refused value does
  // not stop the loop: a later --log or --log-format must still take effect, so
  // that engines find the refusal in the log file they read errors from.
  std::optional<Error> refused;
  for (; i < args.size() && looks_like_flag(args[i]); ++i) {
    auto use = read_flag(nullptr, global_flags(), args, i);
    if (!use)
      return fail(refused.value_or(std::move(use).error()));
    if (auto applied = apply(*use, out); !applied && !refused)
      refused = std::move(applied).error();
  }
  if (refused)
    return fail(std::move(*refused));
  if (out.help || out.version)
    return ok();
  if (i == args.size()) {
    out.help = true; // a bare `berth` shows what it can do
    return ok();
  }
  const CommandSpec *command = find_command(args[i]);
  if (!command)
    return fail("unknown command " + quoted(args[i]) + help_hint(nullptr));
  out.command = command;
  ++i;

  // Flags and positional arguments may interleave; "--" ends the flags.
  std::size_t positional = 0;
  bool flags_done = false;
  for (; i < args.size(); ++i) {
    std::string_view arg = args[i];
    // What follows belongs to another program (ps's options after the id) and
    // may look like berth's flags: it is passed on unread, as runc does.
    if (positional < command->positionals.size() && command->positionals[positional].rest) {
      if (arg == "--")
        ++i;
      for (; i < args.size(); ++i)
        BERTH_TRY(command->positionals[positional].set(out, args[i]));
      return ok();
    }
    if (!flags_done && arg == "--") {
      flags_done = true;
      continue;
    }
    if (!flags_done && looks_like_flag(arg)) {
      BERTH_TRY_ASSIGN(FlagUse use, read_flag(command, command->flags, args, i));
      BERTH_TRY(apply(use, out));
      if (out.help)
        return ok();
      continue;
    }
    if (positional >= command->positionals.size())
      return fail(std::string(command->name) + ": unexpected argument " + quoted(arg) +
                  help_hint(command));
    BERTH_TRY(command->positionals[positional++].set(out, arg));
  }
  for (; positional < command->positionals.size(); ++positional) {
    const PositionalSpec &missing = command->positionals[positional];
    if (missing.required)
      return fail(std::string(command->name) + ": missing " +
                  (missing.name == "ID" ? std::string("container ID") : std::string(missing.name)) +
                  help_hint(command));
  }
  return ok();
}

std::string usage(const CommandSpec *command) {
  if (!command) {
    std::string out = "Usage: berth [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n\n"
                      "berth is an OCI container runtime.\n\nCommands:\n";
    std::vector<std::pair<std::string, std::string_view>> rows;
    for (const CommandSpec &c : commands()) {
      std::string label(c.name);
      if (!c.alias.empty()) {
        label += ", ";
        label += c.alias;
      }
      rows.emplace_back(std::move(label), c.summary);
    }
    out += columns(rows);
    out += "\nGlobal options:\n";
    out += flag_lines(global_flags());
    out += "\nRun 'berth COMMAND --help' for the options of a command.\n";
    return out;
  }
  std::string out = "Usage: berth " + std::string(command->name);
  if (!command->flags.empty())
    out += " [OPTIONS]";
  for (const PositionalSpec &arg : command->positionals) {
    out += arg.required ? " " : " [";
    out += arg.name;
    if (arg.rest)
      out += "...";
    if (!arg.required)
      out += ']';
  }
  out += "\n\n";
  out += command->summary;
  out += "\n";
  if (!command->alias.empty()) {
    out += "Also called: ";
    out += command->alias;
    out += '\n';
  }
  out += "\nOptions:\n";
  out += flag_lines(command->flags);
  return out;
}

} // namespace berth::cli
