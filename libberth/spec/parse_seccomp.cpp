// config-linux.md "Seccomp": linux.seccomp. Names are checked by validation.
#include "spec/sections.hpp"

namespace berth::spec::detail {
namespace {

Result<SeccompArg> parse_arg(const Node &node) {
  BERTH_TRY(expect_object(node));
  SeccompArg arg;
  BERTH_TRY(read_required(node, "index", arg.index));
  BERTH_TRY(read_required(node, "value", arg.value));
  BERTH_TRY(read_optional(node, "valueTwo", arg.value_two));
  BERTH_TRY(read_required(node, "op", arg.op));
  return arg;
}

Result<SeccompSyscall> parse_syscall(const Node &node) {
  BERTH_TRY(expect_object(node));
  SeccompSyscall syscall;
  BERTH_TRY(read_required(node, "names", syscall.names));
  BERTH_TRY(read_required(node, "action", syscall.action));
  BERTH_TRY(read_optional(node, "errnoRet", syscall.errno_ret));
  BERTH_TRY(read_array(node, "args", syscall.args, parse_arg));
  return syscall;
}

} // namespace

Result<Seccomp> parse_seccomp(const Node &node) {
  BERTH_TRY(expect_object(node));
  Seccomp seccomp;
  BERTH_TRY(read_required(node, "defaultAction", seccomp.default_action));
  BERTH_TRY(read_optional(node, "defaultErrnoRet", seccomp.default_errno_ret));
  BERTH_TRY(read_or_default(node, "architectures", seccomp.architectures));
  BERTH_TRY(read_or_default(node, "flags", seccomp.flags));
  BERTH_TRY(read_optional(node, "listenerPath", seccomp.listener_path));
  BERTH_TRY(read_optional(node, "listenerMetadata", seccomp.listener_metadata));
  drop_empty(seccomp.listener_path);
  drop_empty(seccomp.listener_metadata);
  BERTH_TRY(read_array(node, "syscalls", seccomp.syscalls, parse_syscall));
  return seccomp;
}

} // namespace berth::spec::detail
