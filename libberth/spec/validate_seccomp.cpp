// Validation of linux.seccomp: every name must be one the spec lists (and the
// seccomp tables map), and errnoRet only goes with actions that return one.
#include "spec/sections.hpp"
#include "tables/seccomp.hpp"

namespace berth::spec::detail {
namespace {

// The kernel passes six arguments to a system call.
constexpr std::uint32_t kMaxArgIndex = 5;

Result<const tables::SeccompActionInfo *> find_action(const std::string &name,
                                                      std::string_view pointer) {
  const auto *action = tables::find_seccomp_action(name);
  if (!action)
    return fail_at(pointer, "unknown seccomp action " + quote(name));
  return action;
}

Result<void> check_errno(const tables::SeccompActionInfo &action,
                         const std::optional<std::uint32_t> &errno_ret, std::string_view pointer) {
  if (errno_ret && !action.takes_errno)
    return fail_at(pointer, "only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not " +
                                std::string(action.name));
  return {};
}

Result<void> validate_syscall(const SeccompSyscall &syscall, std::string_view pointer) {
  if (syscall.names.empty())
    return fail_at(at(pointer, "names"), "must not be empty");
  BERTH_TRY_ASSIGN(const auto *action, find_action(syscall.action, at(pointer, "action")));
  BERTH_TRY(check_errno(*action, syscall.errno_ret, at(pointer, "errnoRet")));
  for (std::size_t i = 0; i < syscall.args.size(); ++i) {
    const SeccompArg &arg = syscall.args[i];
    std::string entry = at(at(pointer, "args"), i);
    if (arg.index > kMaxArgIndex)
      return fail_at(at(entry, "index"), "expected an integer from 0 to 5");
    if (!tables::find_seccomp_operator(arg.op))
      return fail_at(at(entry, "op"), "unknown seccomp operator " + quote(arg.op));
  }
  return {};
}

} // namespace

Result<void> validate_seccomp(const Seccomp &seccomp, std::string_view pointer) {
  BERTH_TRY_ASSIGN(const auto *action,
                   find_action(seccomp.default_action, at(pointer, "defaultAction")));
  BERTH_TRY(check_errno(*action, seccomp.default_errno_ret, at(pointer, "defaultErrnoRet")));
  for (std::size_t i = 0; i < seccomp.architectures.size(); ++i)
    if (!tables::find_seccomp_arch(seccomp.architectures[i]))
      return fail_at(at(at(pointer, "architectures"), i),
                     "unknown seccomp architecture " + quote(seccomp.architectures[i]));
  for (std::size_t i = 0; i < seccomp.flags.size(); ++i)
    if (!tables::find_seccomp_flag(seccomp.flags[i]))
      return fail_at(at(at(pointer, "flags"), i),
                     "unknown seccomp flag " + quote(seccomp.flags[i]));
  if (seccomp.listener_metadata && !seccomp.listener_path)
    return fail_at(at(pointer, "listenerMetadata"), "set without listenerPath");
  for (std::size_t i = 0; i < seccomp.syscalls.size(); ++i)
    BERTH_TRY(validate_syscall(seccomp.syscalls[i], at(at(pointer, "syscalls"), i)));
  return {};
}

} // namespace berth::spec::detail
