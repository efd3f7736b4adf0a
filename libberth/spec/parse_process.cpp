// config.md "Process": the process object of config.json and of exec --process.
#include "spec/sections.hpp"

namespace berth::spec::detail {
namespace {

Result<ConsoleSize> parse_console_size(const Node &node) {
  BERTH_TRY(expect_object(node));
  ConsoleSize size;
  BERTH_TRY(read_required(node, "height", size.height));
  BERTH_TRY(read_required(node, "width", size.width));
  return size;
}

Result<User> parse_user(const Node &node) {
  BERTH_TRY(expect_object(node));
  User user;
  BERTH_TRY(read_required(node, "uid", user.uid));
  BERTH_TRY(read_required(node, "gid", user.gid));
  BERTH_TRY(read_optional(node, "umask", user.umask));
  BERTH_TRY(read_or_default(node, "additionalGids", user.additional_gids));
  return user;
}

Result<Capabilities> parse_capabilities(const Node &node) {
  BERTH_TRY(expect_object(node));
  Capabilities caps;
  BERTH_TRY(read_or_default(node, "bounding", caps.bounding));
  BERTH_TRY(read_or_default(node, "effective", caps.effective));
  BERTH_TRY(read_or_default(node, "inheritable", caps.inheritable));
  BERTH_TRY(read_or_default(node, "permitted", caps.permitted));
  BERTH_TRY(read_or_default(node, "ambient", caps.ambient));
  return caps;
}

Result<Rlimit> parse_rlimit(const Node &node) {
  BERTH_TRY(expect_object(node));
  Rlimit rlimit;
  BERTH_TRY(read_required(node, "type", rlimit.type));
  BERTH_TRY(read_required(node, "soft", rlimit.soft));
  BERTH_TRY(read_required(node, "hard", rlimit.hard));
  return rlimit;
}

Result<Scheduler> parse_scheduler(const Node &node) {
  BERTH_TRY(expect_object(node));
  Scheduler scheduler;
  BERTH_TRY(read_required(node, "policy", scheduler.policy));
  BERTH_TRY(read_optional(node, "nice", scheduler.nice));
  BERTH_TRY(read_optional(node, "priority", scheduler.priority));
  BERTH_TRY(read_or_default(node, "flags", scheduler.flags));
  BERTH_TRY(read_optional(node, "runtime", scheduler.runtime));
  BERTH_TRY(read_optional(node, "deadline", scheduler.deadline));
  BERTH_TRY(read_optional(node, "period", scheduler.period));
  return scheduler;
}

Result<IoPriority> parse_io_priority(const Node &node) {
  BERTH_TRY(expect_object(node));
  IoPriority priority;
  BERTH_TRY(read_required(node, "class", priority.io_class));
  BERTH_TRY(read_required(node, "priority", priority.priority));
  return priority;
}

Result<ExecCpuAffinity> parse_exec_cpu_affinity(const Node &node) {
  BERTH_TRY(expect_object(node));
  ExecCpuAffinity affinity;
  BERTH_TRY(read_optional(node, "initial", affinity.initial));
  BERTH_TRY(read_optional(node, "final", affinity.final_));
  return affinity;
}

// The members of a Process object; `user` is required in config.json only.
Result<Process> parse_members(const Node &node, bool user_required) {
  BERTH_TRY(expect_object(node));
  Process process;
  BERTH_TRY(read_or_default(node, "terminal", process.terminal));
  BERTH_TRY(read_object(node, "consoleSize", process.console_size, parse_console_size));
  if (user_required) {
    BERTH_TRY(read_required_object(node, "user", process.user, parse_user));
  } else if (auto user = node.member("user")) {
    BERTH_TRY_ASSIGN(process.user, parse_user(*user));
  }
  BERTH_TRY(read_required(node, "args", process.args));
  BERTH_TRY(read_or_default(node, "env", process.env));
  BERTH_TRY(read_required(node, "cwd", process.cwd));
  BERTH_TRY(read_object(node, "capabilities", process.capabilities, parse_capabilities));
  BERTH_TRY(read_array(node, "rlimits", process.rlimits, parse_rlimit));
  BERTH_TRY(read_or_default(node, "noNewPrivileges", process.no_new_privileges));
  BERTH_TRY(read_optional(node, "apparmorProfile", process.apparmor_profile));
  BERTH_TRY(read_optional(node, "oomScoreAdj", process.oom_score_adj));
  BERTH_TRY(read_optional(node, "selinuxLabel", process.selinux_label));
  drop_empty(process.apparmor_profile); // "" means no profile, and no label below
  drop_empty(process.selinux_label);
  BERTH_TRY(read_object(node, "scheduler", process.scheduler, parse_scheduler));
  BERTH_TRY(read_object(node, "ioPriority", process.io_priority, parse_io_priority));
  BERTH_TRY(
      read_object(node, "execCPUAffinity", process.exec_cpu_affinity, parse_exec_cpu_affinity));
  return process;
}

} // namespace

Result<Process> parse_process_object(const Node &node) {
  return parse_members(node, true);
}

// berth runs as the host's root with every capability and the caller's
// rlimits: a member the file leaves out must not hand any of that to the
// container. An empty label or rlimits list counts as left out too, as
// runc reads them.
//
// runc 1.1 takes the container's capabilities and labels as well, but for a
// missing user, noNewPrivileges or rlimits it runs the process as uid 0,
// without no_new_privs, with its own limits (Go's zero values, not a
// choice): berth takes the container's for those too, so that leaving them
// out never gives the process more than the container's own process has.
// Engines always write a user; Go's omitempty leaves out a false
// noNewPrivileges, which Docker copies from the container's process anyway.
Result<Process> parse_exec_process_object(const Node &node, const Process &container) {
  BERTH_TRY_ASSIGN(Process process, parse_members(node, false));
  if (!node.member("user"))
    process.user = container.user;
  if (!node.member("capabilities"))
    process.capabilities = container.capabilities;
  if (process.rlimits.empty())
    process.rlimits = container.rlimits;
  if (!node.member("noNewPrivileges"))
    process.no_new_privileges = container.no_new_privileges;
  if (!process.apparmor_profile)
    process.apparmor_profile = container.apparmor_profile;
  if (!process.selinux_label)
    process.selinux_label = container.selinux_label;
  return process;
}

} // namespace berth::spec::detail
