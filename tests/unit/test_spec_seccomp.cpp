// linux.seccomp validation, and the seccomp tables it validates against.
#include <criterion/criterion.h>

#include <string>

#include "tables/seccomp.hpp"
#include "test_spec_helpers.hpp"

using namespace berth;
using spec_test::parse_ok;
using spec_test::with;

static std::string seccomp_with(std::string_view json_text) {
  return with("/linux/seccomp", json_text);
}

Test(spec_seccomp, default_action) {
  expect_config_error(seccomp_with("{}"), "config.json: /linux/seccomp/defaultAction: required");
  expect_config_error(seccomp_with(R"({"defaultAction": "SCMP_ACT_MAYBE"})"),
                      "config.json: /linux/seccomp/defaultAction: unknown seccomp action "
                      "\"SCMP_ACT_MAYBE\"");
  expect_config_error(seccomp_with(R"({"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 1})"),
                      "config.json: /linux/seccomp/defaultErrnoRet: only valid with "
                      "SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_ALLOW");
  expect_config_error(seccomp_with(R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": -1})"),
                      "config.json: /linux/seccomp/defaultErrnoRet: expected an integer from 0 to "
                      "4294967295");
  spec::Config c =
      parse_ok(seccomp_with(R"({"defaultAction": "SCMP_ACT_TRACE", "defaultErrnoRet": 1})"));
  cr_assert_eq(*c.linux->seccomp->default_errno_ret, 1u);
}

Test(spec_seccomp, every_spec_action_is_known) {
  const char *actions[] = {"SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                           "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
                           "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY"};
  for (const char *action : actions) {
    std::string text = seccomp_with(std::string(R"({"defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["getpid"], "action": ")") +
                                    action + "\"}]}");
    spec::Config c = parse_ok(text);
    cr_assert_str_eq(c.linux->seccomp->syscalls[0].action.c_str(), action);
  }
}

Test(spec_seccomp, architectures_and_flags) {
  expect_config_error(seccomp_with(R"({"defaultAction": "SCMP_ACT_ALLOW",
                       "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_Z80"]})"),
                      "config.json: /linux/seccomp/architectures/1: unknown seccomp architecture "
                      "\"SCMP_ARCH_Z80\"");
  expect_config_error(
      seccomp_with(
          R"({"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_NEW_LISTENER"]})"),
      "config.json: /linux/seccomp/flags/0: unknown seccomp flag "
      "\"SECCOMP_FILTER_FLAG_NEW_LISTENER\"");
  expect_config_error(seccomp_with(R"({"defaultAction": "SCMP_ACT_ALLOW", "flags": "x"})"),
                      "config.json: /linux/seccomp/flags: expected an array of strings, got a "
                      "string");
  spec::Config c = parse_ok(seccomp_with(R"({"defaultAction": "SCMP_ACT_ALLOW",
      "architectures": ["SCMP_ARCH_AARCH64", "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_SHEB"],
      "flags": ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]})"));
  cr_assert_eq(c.linux->seccomp->flags.size(), 4u);
}

Test(spec_seccomp, listener) {
  expect_config_error(
      seccomp_with(R"({"defaultAction": "SCMP_ACT_ALLOW", "listenerMetadata": "m"})"),
      "config.json: /linux/seccomp/listenerMetadata: set without listenerPath");
  spec::Config c =
      parse_ok(seccomp_with(R"({"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": ""})"));
  cr_assert(!c.linux->seccomp->listener_path.has_value());
}

Test(spec_seccomp, syscall_rules) {
  std::string head = R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"],
                         "action": "SCMP_ACT_ALLOW"}, )";
  expect_config_error(seccomp_with(head + R"({"action": "SCMP_ACT_ERRNO"}]})"),
                      "config.json: /linux/seccomp/syscalls/1/names: required");
  expect_config_error(seccomp_with(head + R"({"names": [], "action": "SCMP_ACT_ERRNO"}]})"),
                      "config.json: /linux/seccomp/syscalls/1/names: must not be empty");
  expect_config_error(seccomp_with(head + R"({"names": ["open"]}]})"),
                      "config.json: /linux/seccomp/syscalls/1/action: required");
  expect_config_error(seccomp_with(head + R"({"names": ["open"], "action": "ALLOW"}]})"),
                      "config.json: /linux/seccomp/syscalls/1/action: unknown seccomp action "
                      "\"ALLOW\"");
  expect_config_error(
      seccomp_with(head + R"({"names": ["open"], "action": "SCMP_ACT_KILL", "errnoRet": 1}]})"),
      "config.json: /linux/seccomp/syscalls/1/errnoRet: only valid with SCMP_ACT_ERRNO or "
      "SCMP_ACT_TRACE, not SCMP_ACT_KILL");
  spec::Config c = parse_ok(
      seccomp_with(head + R"({"names": ["open"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]})"));
  cr_assert_eq(*c.linux->seccomp->syscalls[1].errno_ret, 13u);
}

Test(spec_seccomp, syscall_args) {
  std::string head = R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["ioctl"],
                         "action": "SCMP_ACT_ERRNO", "args": [)";
  expect_config_error(seccomp_with(head + R"({"index": 1, "value": 2}]}]})"),
                      "config.json: /linux/seccomp/syscalls/0/args/0/op: required");
  expect_config_error(seccomp_with(head + R"({"index": 1, "op": "SCMP_CMP_EQ"}]}]})"),
                      "config.json: /linux/seccomp/syscalls/0/args/0/value: required");
  expect_config_error(seccomp_with(head + R"({"value": 1, "op": "SCMP_CMP_EQ"}]}]})"),
                      "config.json: /linux/seccomp/syscalls/0/args/0/index: required");
  expect_config_error(seccomp_with(head + R"({"index": 0, "value": 1, "op": "SCMP_CMP_EQ"},
                             {"index": 1, "value": 1, "op": "SCMP_CMP_APPROX"}]}]})"),
                      "config.json: /linux/seccomp/syscalls/0/args/1/op: unknown seccomp operator "
                      "\"SCMP_CMP_APPROX\"");
  expect_config_error(seccomp_with(head + R"({"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]})"),
                      "config.json: /linux/seccomp/syscalls/0/args/0/index: expected an integer "
                      "from 0 to 5");
  expect_config_error(seccomp_with(head + R"({"index": 0, "value": -1, "op": "SCMP_CMP_EQ"}]}]})"),
                      "config.json: /linux/seccomp/syscalls/0/args/0/value: expected an integer "
                      "from 0 to 18446744073709551615");
  spec::Config c = parse_ok(seccomp_with(
      head + R"({"index": 5, "value": 18446744073709551615, "op": "SCMP_CMP_GE"}]}]})"));
  const spec::SeccompArg &arg = c.linux->seccomp->syscalls[0].args[0];
  cr_assert_eq(arg.index, 5u);
  cr_assert_eq(arg.value, UINT64_MAX);
  cr_assert(!arg.value_two.has_value());
}

Test(seccomp_tables, actions_match_libseccomp) {
  const auto *errno_action = tables::find_seccomp_action("SCMP_ACT_ERRNO");
  cr_assert(errno_action && errno_action->takes_errno);
  cr_assert_eq(tables::seccomp_action_value(*errno_action, EPERM), SCMP_ACT_ERRNO(EPERM));
  const auto *trace = tables::find_seccomp_action("SCMP_ACT_TRACE");
  cr_assert_eq(tables::seccomp_action_value(*trace, 38), SCMP_ACT_TRACE(38));
  const auto *allow = tables::find_seccomp_action("SCMP_ACT_ALLOW");
  cr_assert(!allow->takes_errno);
  cr_assert_eq(tables::seccomp_action_value(*allow, 5), SCMP_ACT_ALLOW, "no errno on ALLOW");
  cr_assert_eq(tables::find_seccomp_action("SCMP_ACT_KILL_PROCESS")->action, SCMP_ACT_KILL_PROCESS);
  cr_assert_eq(tables::find_seccomp_action("SCMP_ACT_NOTIFY")->action, SCMP_ACT_NOTIFY);
  cr_assert_eq(tables::find_seccomp_action("SCMP_ACT_LOG")->action, SCMP_ACT_LOG);
  cr_assert_null(tables::find_seccomp_action("scmp_act_allow"));
}

Test(seccomp_tables, operators_architectures_flags) {
  cr_assert_eq(tables::find_seccomp_operator("SCMP_CMP_MASKED_EQ")->op, SCMP_CMP_MASKED_EQ);
  cr_assert_eq(tables::find_seccomp_operator("SCMP_CMP_NE")->op, SCMP_CMP_NE);
  cr_assert_eq(tables::kSeccompOperators.size(), 7u);
  const auto *x86_64 = tables::find_seccomp_arch("SCMP_ARCH_X86_64");
  cr_assert(x86_64 && x86_64->available);
  cr_assert_eq(x86_64->token, SCMP_ARCH_X86_64);
  cr_assert_eq(tables::find_seccomp_arch("SCMP_ARCH_X32")->token, SCMP_ARCH_X32);
  cr_assert_eq(tables::find_seccomp_arch("SCMP_ARCH_RISCV64")->token, SCMP_ARCH_RISCV64);
  cr_assert_not_null(tables::find_seccomp_arch("SCMP_ARCH_M68K"));
  cr_assert_eq(tables::kSeccompArchitectures.size(), 23u);
  const auto *log = tables::find_seccomp_flag("SECCOMP_FILTER_FLAG_LOG");
  cr_assert_eq(log->kernel_flag, SECCOMP_FILTER_FLAG_LOG);
  cr_assert_eq(log->attribute, SCMP_FLTATR_CTL_LOG);
  cr_assert_eq(tables::find_seccomp_flag("SECCOMP_FILTER_FLAG_SPEC_ALLOW")->attribute,
               SCMP_FLTATR_CTL_SSB);
  cr_assert_eq(tables::find_seccomp_flag("SECCOMP_FILTER_FLAG_TSYNC")->kernel_flag,
               SECCOMP_FILTER_FLAG_TSYNC);
  cr_assert_eq(tables::find_seccomp_flag("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV")->kernel_flag,
               1UL << 5);
}
