// seccomp/filter.hpp: configs compiled with libseccomp, loaded with seccomp(2)
// in a forked child, and judged by what the kernel then does to the child's
// system calls. getppid, getuid and friends ignore their arguments, so the
// tests pass arbitrary values there for the filter's argument conditions to
// see. The notify test hands the listener fd to the parent the way the init
// hands it to the agent, and answers the child's call from there.
#include <criterion/criterion.h>

#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <set>
#include <string>

#include "kernel_features.hpp"
#include "seccomp/filter.hpp"
#include "string_assert.hpp"
#include "json/value.hpp"

using namespace berth;
using spec::Seccomp;
using spec::SeccompArg;
using spec::SeccompSyscall;

namespace {

constexpr std::uint64_t kAllOnes = ~std::uint64_t{0};

seccomp::Program compile_ok(const Seccomp &config) {
  auto program = seccomp::compile(config);
  std::string message = program ? "" : program.error().message();
  cr_assert(program.has_value(), "compile failed: %s", message.c_str());
  return std::move(*program);
}

std::string compile_error(const Seccomp &config) {
  auto program = seccomp::compile(config);
  cr_assert(!program.has_value(), "compile succeeded");
  return program.error().message();
}

// A system call's result as one number: its return value, or -errno.
long outcome(long rc) {
  return rc < 0 ? -errno : rc;
}

long call(long nr, std::uint64_t a0 = 0, std::uint64_t a1 = 0) {
  return outcome(::syscall(nr, a0, a1));
}

// Only the error: -errno, or 0 when the call went through.
long error_of(long nr, std::uint64_t a0 = 0, std::uint64_t a1 = 0) {
  long rc = call(nr, a0, a1);
  return rc < 0 ? rc : 0;
}

using Values = std::array<long, 16>;

struct ChildResult {
  int status = 0;
  std::string load_error; // set when load() failed in the child
  Values values{};
  bool exited_ok() const { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }
};

// Loads `program` in a forked child, runs `body` there, and hands its values
// back. After load() the child makes only the calls of `body`, write and
// exit_group, so a filter need allow no more than those.
ChildResult run_filtered(const seccomp::Program &program, const std::function<void(Values &)> &body,
                         const std::function<void()> &before_load = {}) {
  ChildResult result;
  int fds[2];
  cr_assert_eq(::pipe2(fds, O_CLOEXEC), 0);
  pid_t pid = ::fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    // A SIGSYS death must not leave a core file behind.
    rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    if (before_load)
      before_load();
    auto loaded = seccomp::load(program);
    if (!loaded) {
      std::string message = "E" + loaded.error().message();
      (void)!::write(fds[1], message.data(), message.size());
      ::_exit(3);
    }
    Values values{};
    body(values);
    char buf[1 + sizeof values];
    buf[0] = 'V';
    std::memcpy(buf + 1, values.data(), sizeof values);
    (void)!::write(fds[1], buf, sizeof buf);
    // exit_group itself, not _exit: under ASan, _exit is intercepted and makes
    // calls (sigaltstack, mmap) that the filter under test may refuse.
    ::syscall(SYS_exit_group, 0);
    ::_exit(0); // not reached
  }
  ::close(fds[1]);
  std::string report;
  char buf[512];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0)
    report.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  ::waitpid(pid, &result.status, 0);
  if (report.starts_with("E"))
    result.load_error = report.substr(1);
  else if (report.size() == 1 + sizeof result.values)
    std::memcpy(result.values.data(), report.data() + 1, sizeof result.values);
  return result;
}

ChildResult run_ok(const seccomp::Program &program, const std::function<void(Values &)> &body) {
  ChildResult result = run_filtered(program, body);
  cr_assert(result.load_error.empty(), "%s", result.load_error.c_str());
  cr_assert(result.exited_ok(), "child status %#x", result.status);
  return result;
}

SeccompSyscall rule(std::vector<std::string> names, std::string action,
                    std::optional<std::uint32_t> errno_ret = std::nullopt,
                    std::vector<SeccompArg> args = {}) {
  return SeccompSyscall{std::move(names), std::move(action), errno_ret, std::move(args)};
}

SeccompArg arg(std::uint32_t index, std::string op, std::uint64_t value,
               std::optional<std::uint64_t> value_two = std::nullopt) {
  return SeccompArg{index, value, value_two, std::move(op)};
}

Seccomp allow_by_default(std::vector<SeccompSyscall> syscalls) {
  Seccomp config;
  config.default_action = "SCMP_ACT_ALLOW";
  config.syscalls = std::move(syscalls);
  return config;
}

} // namespace

Test(seccomp_filter, errno_ret_reaches_the_caller) {
  auto program = compile_ok(allow_by_default({
      rule({"getppid"}, "SCMP_ACT_ERRNO", ENOSYS),
      rule({"getuid"}, "SCMP_ACT_ERRNO"),       // errnoRet absent: EPERM
      rule({"getgid"}, "SCMP_ACT_ERRNO", 4094), // the largest libseccomp takes
  }));
  cr_assert_eq(program.flags, 0ul);
  cr_assert(!program.uses_notify());
  auto result = run_ok(program, [](Values &v) {
    v[0] = call(SYS_getppid);
    v[1] = call(SYS_getuid);
    v[2] = call(SYS_getpid);
    v[3] = call(SYS_getgid);
  });
  cr_assert_eq(result.values[0], -ENOSYS);
  cr_assert_eq(result.values[1], -EPERM);
  cr_assert_gt(result.values[2], 0);
  cr_assert_eq(result.values[3], -4094);
}

Test(seccomp_filter, default_errno_and_allow_rules) {
  Seccomp config;
  config.default_action = "SCMP_ACT_ERRNO";
  config.default_errno_ret = 77;
  config.syscalls = {rule({"write", "exit_group", "getppid"}, "SCMP_ACT_ALLOW")};
  auto result = run_ok(compile_ok(config), [](Values &v) {
    v[0] = call(SYS_getpid);
    v[1] = call(SYS_getppid);
  });
  cr_assert_eq(result.values[0], -77);
  cr_assert_eq(result.values[1], static_cast<long>(::getpid()));

  // defaultErrnoRet absent: EPERM.
  config.default_errno_ret.reset();
  result = run_ok(compile_ok(config), [](Values &v) { v[0] = call(SYS_getpid); });
  cr_assert_eq(result.values[0], -EPERM);
}

Test(seccomp_filter, rule_with_the_default_action_is_skipped) {
  Seccomp config;
  config.default_action = "SCMP_ACT_ERRNO";
  config.default_errno_ret = 5;
  config.syscalls = {
      rule({"write", "exit_group"}, "SCMP_ACT_ALLOW"),
      rule({"getpid"}, "SCMP_ACT_ERRNO", 5),  // the default: libseccomp would refuse it
      rule({"getppid"}, "SCMP_ACT_ERRNO", 6), // same action, other errno: a real rule
  };
  auto result = run_ok(compile_ok(config), [](Values &v) {
    v[0] = call(SYS_getpid);
    v[1] = call(SYS_getppid);
  });
  cr_assert_eq(result.values[0], -5);
  cr_assert_eq(result.values[1], -6);
}

Test(seccomp_filter, kill_process_ends_the_child_with_sigsys) {
  auto program = compile_ok(allow_by_default({rule({"getppid"}, "SCMP_ACT_KILL_PROCESS")}));
  auto result = run_filtered(program, [](Values &v) { v[0] = call(SYS_getppid); });
  cr_assert(result.load_error.empty(), "%s", result.load_error.c_str());
  cr_assert(WIFSIGNALED(result.status), "child status %#x", result.status);
  cr_assert_eq(WTERMSIG(result.status), SIGSYS);
}

Test(seccomp_filter, argument_conditions) {
  auto program = compile_ok(allow_by_default({
      // Only the query form of personality passes.
      rule({"personality"}, "SCMP_ACT_ERRNO", EACCES, {arg(0, "SCMP_CMP_NE", 0xffffffff)}),
      // value is the mask, valueTwo the datum.
      rule({"getppid"}, "SCMP_ACT_ERRNO", E2BIG, {arg(0, "SCMP_CMP_MASKED_EQ", 0xf0, 0x30)}),
      // Conditions on different arguments must all hold.
      rule({"getuid"}, "SCMP_ACT_ERRNO", EDOM,
           {arg(0, "SCMP_CMP_EQ", 1), arg(1, "SCMP_CMP_GT", 2)}),
  }));
  auto result = run_ok(program, [](Values &v) {
    v[0] = call(SYS_personality, 0xffffffff);
    v[1] = call(SYS_personality, 0); // PER_LINUX
    v[2] = call(SYS_getppid, 0x35);
    v[3] = call(SYS_getppid, 0x45);
    v[4] = call(SYS_getppid, 0x130);
    v[5] = call(SYS_getuid, 1, 3);
    v[6] = call(SYS_getuid, 1, 2);
    v[7] = call(SYS_getuid, 0, 3);
  });
  cr_assert_geq(result.values[0], 0);
  cr_assert_eq(result.values[1], -EACCES);
  cr_assert_eq(result.values[2], -E2BIG);
  cr_assert_geq(result.values[3], 0);
  cr_assert_eq(result.values[4], -E2BIG);
  cr_assert_eq(result.values[5], -EDOM);
  cr_assert_geq(result.values[6], 0);
  cr_assert_geq(result.values[7], 0);
}

// libseccomp 2.5.4 refuses two conditions on one argument in a rule; as runc
// and crun do, berth then makes each condition a rule of its own, so that any
// one of them matching applies the action.
Test(seccomp_filter, conditions_on_the_same_argument_are_alternatives) {
  auto program = compile_ok(allow_by_default({
      rule({"getppid"}, "SCMP_ACT_ERRNO", 1,
           {arg(0, "SCMP_CMP_EQ", 5), arg(0, "SCMP_CMP_EQ", 6), arg(1, "SCMP_CMP_EQ", 7)}),
      rule({"getuid"}, "SCMP_ACT_ERRNO", 2, {arg(0, "SCMP_CMP_GE", 10), arg(0, "SCMP_CMP_LE", 2)}),
  }));
  auto result = run_ok(program, [](Values &v) {
    v[0] = error_of(SYS_getppid, 5);
    v[1] = error_of(SYS_getppid, 6);
    v[2] = error_of(SYS_getppid, 0, 7);
    v[3] = error_of(SYS_getppid, 0, 0);
    v[4] = error_of(SYS_getuid, 11);
    v[5] = error_of(SYS_getuid, 1);
    v[6] = error_of(SYS_getuid, 5);
  });
  const Values expected{-1, -1, -1, 0, -2, -2, 0};
  for (std::size_t i = 0; i < expected.size(); ++i)
    cr_assert_eq(result.values[i], expected[i], "call %zu: %ld", i, result.values[i]);
}

// A profile that denies by default and allows only what the child needs
// (write, exit_group) plus getppid; exit_group (231) is the newest it names.
Seccomp deny_by_default(std::string action = "SCMP_ACT_ERRNO",
                        std::optional<std::uint32_t> errno_ret = std::nullopt) {
  Seccomp config;
  config.default_action = std::move(action);
  config.default_errno_ret = errno_ret;
  config.syscalls = {rule({"write", "exit_group", "getppid"}, "SCMP_ACT_ALLOW"),
                     rule({"getgid"}, "SCMP_ACT_ERRNO", EXDEV)};
  return config;
}

Test(seccomp_filter, calls_newer_than_the_profile_fail_with_enosys) {
  auto result = run_ok(compile_ok(deny_by_default()), [](Values &v) {
    v[0] = error_of(SYS_getppid);   // allowed
    v[1] = error_of(SYS_getuid);    // older than exit_group, not named: the default
    v[2] = error_of(SYS_getgid);    // named, denied with its own errno
    v[3] = error_of(SYS_getrandom); // newer than anything named
    v[4] = error_of(SYS_close_range);
    v[5] = error_of(SYS_exit_group + 1);
  });
  const Values expected{0, -EPERM, -EXDEV, -ENOSYS, -ENOSYS, -ENOSYS};
  for (std::size_t i = 0; i < expected.size(); ++i)
    cr_assert_eq(result.values[i], expected[i], "call %zu: %ld", i, result.values[i]);
}

Test(seccomp_filter, enosys_for_newer_calls_can_be_turned_off) {
  auto program =
      seccomp::compile(deny_by_default(), "/linux/seccomp", seccomp::kCompileDeadline, false);
  cr_assert(program.has_value());
  auto result = run_ok(*program, [](Values &v) { v[0] = error_of(SYS_getrandom); });
  cr_assert_eq(result.values[0], -EPERM);
}

// Only a denying default gets the prologue: an allowing one, or one that
// already answers ENOSYS, compiles as without it.
Test(seccomp_filter, enosys_prologue_only_for_a_denying_default) {
  auto size = [](const Seccomp &config, bool enosys) {
    auto program = seccomp::compile(config, "/linux/seccomp", seccomp::kCompileDeadline, enosys);
    cr_assert(program.has_value());
    return program->instructions.size();
  };
  for (const Seccomp &config :
       {deny_by_default("SCMP_ACT_ALLOW"), deny_by_default("SCMP_ACT_ERRNO", ENOSYS),
        deny_by_default("SCMP_ACT_LOG")})
    cr_assert_eq(size(config, true), size(config, false));
  for (const Seccomp &config :
       {deny_by_default(), deny_by_default("SCMP_ACT_KILL_PROCESS"),
        deny_by_default("SCMP_ACT_TRAP"), deny_by_default("SCMP_ACT_ERRNO", EACCES)})
    cr_assert_gt(size(config, true), size(config, false));
  auto killed = run_filtered(compile_ok(deny_by_default("SCMP_ACT_KILL_PROCESS")),
                             [](Values &v) { v[0] = error_of(SYS_getrandom); });
  cr_assert(killed.exited_ok(), "status %#x", killed.status);
  cr_assert_eq(killed.values[0], -ENOSYS);
}

Test(seccomp_filter, unknown_syscall_names_are_skipped) {
  auto program = compile_ok(allow_by_default(
      {rule({"berth_no_such_call", "getppid", "another_unknown_call"}, "SCMP_ACT_ERRNO", 38)}));
  auto result = run_ok(program, [](Values &v) { v[0] = call(SYS_getppid); });
  cr_assert_eq(result.values[0], -38);
}

Test(seccomp_filter, errors_name_the_json_path) {
  Seccomp config = allow_by_default({});
  config.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_LOONGARCH64"};
  std::string message = compile_error(config);
  cr_assert(message.starts_with("config.json: /linux/seccomp/architectures/1: "
                                "SCMP_ARCH_LOONGARCH64 is not supported by libseccomp "),
            "%s", message.c_str());

  config = allow_by_default({rule({"getppid"}, "SCMP_ACT_NOTIFY")});
  BERTH_ASSERT_STR_EQ(compile_error(config), "config.json: /linux/seccomp/listenerPath: "
                                             "SCMP_ACT_NOTIFY needs a listenerPath");
  config = allow_by_default({});
  config.default_action = "SCMP_ACT_NOTIFY";
  BERTH_ASSERT_STR_EQ(compile_error(config), "config.json: /linux/seccomp/listenerPath: "
                                             "SCMP_ACT_NOTIFY needs a listenerPath");

  config = allow_by_default({rule({"getppid"}, "SCMP_ACT_ERRNO", 4095)});
  message = compile_error(config);
  cr_assert(message.starts_with("config.json: /linux/seccomp/syscalls/0/errnoRet: expected an "
                                "errno from 0 to 4094 (libseccomp "),
            "%s", message.c_str());
  config = allow_by_default({});
  config.default_action = "SCMP_ACT_ERRNO";
  config.default_errno_ret = 70000;
  message = compile_error(config);
  cr_assert(message.starts_with("config.json: /linux/seccomp/defaultErrnoRet: expected an errno "
                                "from 0 to 4094 (libseccomp "),
            "%s", message.c_str());

  // The pointer is the caller's.
  config = allow_by_default({rule({"getppid"}, "SCMP_ACT_ERRNO", 1, {arg(6, "SCMP_CMP_EQ", 1)})});
  auto program = seccomp::compile(config, "/x/seccomp");
  cr_assert(!program.has_value());
  BERTH_ASSERT_STR_EQ(program.error().message(),
                      "config.json: /x/seccomp/syscalls/0/args/0/index: expected an integer from "
                      "0 to 5");
}

Test(seccomp_filter, flags) {
  Seccomp config = allow_by_default({rule({"getppid"}, "SCMP_ACT_ERRNO", 9)});
  config.flags = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                  "SECCOMP_FILTER_FLAG_SPEC_ALLOW"};
  auto program = compile_ok(config);
  cr_assert_eq(program.flags, SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW);
  auto result = run_ok(program, [](Values &v) { v[0] = call(SYS_getppid); });
  cr_assert_eq(result.values[0], -9);

  // Without a listener the kernel refuses WAIT_KILLABLE_RECV; it is dropped.
  config.flags = {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
  cr_assert_eq(compile_ok(config).flags, 0ul);

  config.syscalls.push_back(rule({"getuid"}, "SCMP_ACT_NOTIFY"));
  config.listener_path = "/run/agent.sock";
  program = compile_ok(config);
  cr_assert_eq(program.flags,
               SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);
  cr_assert(program.uses_notify());

  // A default of SCMP_ACT_NOTIFY asks for a listener as well.
  config = allow_by_default({rule({"write", "exit_group"}, "SCMP_ACT_ALLOW")});
  config.default_action = "SCMP_ACT_NOTIFY";
  config.listener_path = "/run/agent.sock";
  cr_assert_eq(compile_ok(config).flags, SECCOMP_FILTER_FLAG_NEW_LISTENER);
}

Test(seccomp_filter, load_errors) {
  auto program = compile_ok(allow_by_default({rule({"getppid"}, "SCMP_ACT_ERRNO")}));
  // Without CAP_SYS_ADMIN and without no_new_privs.
  auto result = run_filtered(
      program, [](Values &) {},
      [] {
        if (::setresuid(65534, 65534, 65534) != 0)
          ::_exit(4);
      });
  BERTH_ASSERT_STR_EQ(
      result.load_error,
      "load seccomp filter: needs no_new_privs or CAP_SYS_ADMIN: Permission denied");

  program.flags |= 1ul << 30;
  result = run_filtered(program, [](Values &) {});
  BERTH_ASSERT_STR_EQ(result.load_error, "load seccomp filter: the kernel may not support the "
                                         "flags 1073741824: Invalid argument");
  program.flags = SECCOMP_FILTER_FLAG_LOG | (1ul << 30);
  result = run_filtered(program, [](Values &) {});
  BERTH_ASSERT_STR_EQ(result.load_error,
                      "load seccomp filter: the kernel may not support the flags "
                      "SECCOMP_FILTER_FLAG_LOG|1073741824: Invalid argument");

  auto empty = seccomp::load(seccomp::Program{});
  cr_assert(!empty.has_value());
}

#if defined(__x86_64__)
Test(seccomp_filter, listed_architectures) {
  using test::getpid_int80;
  // A filter without i386 would kill the probe; it runs unfiltered, in a child:
  // a kernel without IA-32 emulation answers int $0x80 with SIGSEGV.
  if (auto missing = test::missing_ia32_entry(); !missing.empty())
    cr_skip_test("%s", missing.c_str());

  Seccomp config = allow_by_default({rule({"getpid"}, "SCMP_ACT_ERRNO", 38)});
  config.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  auto result = run_ok(compile_ok(config), [](Values &v) {
    v[0] = getpid_int80();
    v[1] = call(SYS_getpid);
  });
  cr_assert_eq(result.values[0], -38);
  cr_assert_eq(result.values[1], -38);

  // An architecture not listed meets libseccomp's bad-architecture action.
  config.architectures.clear();
  result = run_filtered(compile_ok(config), [](Values &v) { v[0] = getpid_int80(); });
  cr_assert(WIFSIGNALED(result.status), "child status %#x", result.status);
  cr_assert_eq(WTERMSIG(result.status), SIGSYS);
}
#endif

namespace {

// One message with one SCM_RIGHTS fd; returns the fd and fills `payload`.
int receive_fd(int sock, std::string &payload) {
  char data[4096];
  union {
    cmsghdr header;
    char bytes[CMSG_SPACE(sizeof(int))];
  } control{};
  iovec iov{data, sizeof data};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.bytes;
  msg.msg_controllen = sizeof control.bytes;
  ssize_t n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  if (n <= 0)
    return -1;
  payload.assign(data, static_cast<std::size_t>(n));
  cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
  if (!cmsg || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
    return -1;
  int fd;
  std::memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
  return fd;
}

} // namespace

Test(seccomp_filter, notify_listener_answers_the_call, .timeout = 20) {
  Seccomp config = allow_by_default({rule({"getppid"}, "SCMP_ACT_NOTIFY")});
  config.listener_path = "/run/agent.sock";
  config.flags = {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
  auto program = compile_ok(config);
  cr_assert(program.uses_notify());

  int sp[2];
  cr_assert_eq(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
  pid_t pid = ::fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    ::close(sp[0]);
    std::string state = seccomp::process_state_json("1.2.1", ::getpid(), std::string("meta"),
                                                    R"({"ociVersion":"1.2.1","id":"c1"})");
    auto listener = seccomp::load(program);
    if (!listener || !listener->valid())
      ::_exit(100);
    // The kernel hands the listener out close-on-exec.
    if ((::fcntl(listener->get(), F_GETFD) & FD_CLOEXEC) == 0)
      ::_exit(101);
    if (!seccomp::send_listener_fd(sp[1], listener->get(), state))
      ::_exit(102);
    listener->reset();
    long rc = ::syscall(SYS_getppid);
    ::_exit(rc == -1 ? errno : 103);
  }
  ::close(sp[1]);
  std::string payload;
  int notify_fd = receive_fd(sp[0], payload);
  ::close(sp[0]);
  cr_assert_geq(notify_fd, 0);

  auto doc = json::parse(payload);
  cr_assert(doc.has_value(), "%s", payload.c_str());
  cr_assert_str_eq(doc->find("fds")->items().at(0).text().c_str(), "seccompFd");
  cr_assert_eq(*doc->find("pid")->to_int64(), static_cast<std::int64_t>(pid));

  pollfd pfd{notify_fd, POLLIN, 0};
  cr_assert_eq(::poll(&pfd, 1, 10000), 1, "no notification");
  seccomp_notif req{};
  cr_assert_eq(::ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_RECV, &req), 0, "%s", std::strerror(errno));
  cr_assert_eq(req.data.nr, SYS_getppid);
  cr_assert_eq(static_cast<pid_t>(req.pid), pid);
  seccomp_notif_resp resp{};
  resp.id = req.id;
  resp.error = -ENOMSG;
  cr_assert_eq(::ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp), 0, "%s", std::strerror(errno));
  ::close(notify_fd);

  int status = 0;
  ::waitpid(pid, &status, 0);
  cr_assert(WIFEXITED(status), "child status %#x", status);
  cr_assert_eq(WEXITSTATUS(status), ENOMSG);
}

Test(seccomp_filter, process_state_json_shape) {
  std::string state = R"({"ociVersion":"1.2.1","id":"c1","status":"creating","pid":42,)"
                      R"("bundle":"/b","annotations":{"a":"b"}})";
  std::string text = seccomp::process_state_json("1.2.1", 42, std::string("m \"x\""), state);
  BERTH_ASSERT_STR_EQ(text, R"({"ociVersion":"1.2.1","fds":["seccompFd"],"pid":42,)"
                            R"("metadata":"m \"x\"","state":)" +
                                state + "}");

  text = seccomp::process_state_json("1.2.1", 7, std::nullopt, R"({"id":"c2"})");
  BERTH_ASSERT_STR_EQ(text,
                      R"({"ociVersion":"1.2.1","fds":["seccompFd"],"pid":7,"state":{"id":"c2"}})");

  text = seccomp::process_state_json("1.2.1", 7, std::nullopt, "not json");
  BERTH_ASSERT_STR_EQ(text, R"({"ociVersion":"1.2.1","fds":["seccompFd"],"pid":7,"state":null})");
}

Test(seccomp_filter, connect_listener_errors) {
  auto missing = seccomp::connect_listener("/nonexistent/berth-agent.sock");
  cr_assert(!missing.has_value());
  BERTH_ASSERT_STR_EQ(missing.error().message(),
                      "connect to seccomp listener /nonexistent/berth-agent.sock: No such file or "
                      "directory");

  std::string long_path = "/tmp/" + std::string(120, 'a');
  auto too_long = seccomp::connect_listener(long_path);
  cr_assert(!too_long.has_value());
  cr_assert_eq(too_long.error().errno_value(), ENAMETOOLONG);
  std::string message = too_long.error().message();
  cr_assert(message.starts_with("connect to seccomp listener " + long_path), "%s", message.c_str());
}

namespace {

// A profile shaped like Podman's default: every call libseccomp knows on
// x86_64 and i386 (about 450 names), allowed, for three architectures, with
// the usual argument rules, over a default of ERRNO.
Seccomp podman_like_profile() {
  std::set<std::string> names;
  for (std::uint32_t arch : {std::uint32_t{SCMP_ARCH_X86_64}, std::uint32_t{SCMP_ARCH_X86}}) {
    for (int nr = 0; nr < 600; ++nr) {
      char *name = seccomp_syscall_resolve_num_arch(arch, nr);
      if (name) {
        names.insert(name);
        std::free(name);
      }
    }
  }
  for (const char *denied : {"kexec_load", "personality", "clone", "socket", "ptrace"})
    names.erase(denied);
  Seccomp config;
  config.default_action = "SCMP_ACT_ERRNO";
  config.default_errno_ret = EPERM;
  config.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  config.syscalls.push_back(
      rule(std::vector<std::string>(names.begin(), names.end()), "SCMP_ACT_ALLOW"));
  for (std::uint64_t persona : {0x0ull, 0x8ull, 0x20000ull, 0x20008ull, 0xffffffffull})
    config.syscalls.push_back(
        rule({"personality"}, "SCMP_ACT_ALLOW", std::nullopt, {arg(0, "SCMP_CMP_EQ", persona)}));
  config.syscalls.push_back(rule({"clone"}, "SCMP_ACT_ALLOW", std::nullopt,
                                 {arg(0, "SCMP_CMP_MASKED_EQ", 2114060288, 0)}));
  config.syscalls.push_back(
      rule({"socket"}, "SCMP_ACT_ALLOW", std::nullopt, {arg(0, "SCMP_CMP_NE", 40)}));
  config.syscalls.push_back(rule({"kexec_load"}, "SCMP_ACT_ERRNO", ENOSYS));
  return config;
}

} // namespace

// How long this takes is measured in bench/, not here.
Test(seccomp_filter, podman_sized_profile_compiles_and_filters) {
  Seccomp config = podman_like_profile();
  cr_assert_geq(config.syscalls[0].names.size(), 400u);
  auto program = compile_ok(config);

  auto result = run_ok(program, [](Values &v) {
    v[0] = call(SYS_getppid);
    v[1] = call(SYS_kexec_load);
    v[2] = call(SYS_personality, 0xffffffff);
    v[3] = call(SYS_personality, 0x0400000);
    v[4] = call(SYS_ptrace, 0);
  });
  cr_assert_eq(result.values[0], static_cast<long>(::getpid()));
  cr_assert_eq(result.values[1], -ENOSYS);
  cr_assert_geq(result.values[2], 0);
  cr_assert_eq(result.values[3], -EPERM);
  cr_assert_eq(result.values[4], -EPERM);
}

// Fuzzing found that libseccomp 2.5.4 never returns from adding the second of
// these rules (tests/fuzz/crashers/fuzz_translate/timeout-*). Whatever the
// libseccomp, compile() must come back: with the program, or past its
// deadline with an error that says so.
Test(seccomp_filter, libseccomp_that_never_returns_is_cut_off) {
  Seccomp config;
  config.default_action = "SCMP_ACT_ERRNO";
  for (std::uint64_t value : {std::uint64_t{5}, std::uint64_t{1} << 32})
    config.syscalls.push_back(rule({"mmap"}, "SCMP_ACT_ALLOW", std::nullopt,
                                   {arg(2, "SCMP_CMP_LE", 1000003), arg(3, "SCMP_CMP_EQ", value)}));
  auto started = std::chrono::steady_clock::now();
  auto program = seccomp::compile(config, "/linux/seccomp", std::chrono::milliseconds(300));
  auto took = std::chrono::steady_clock::now() - started;
  cr_assert_lt(took, std::chrono::seconds(5));
  if (!program) {
    std::string message = program.error().message();
    cr_assert(message.starts_with("config.json: /linux/seccomp: libseccomp ") &&
                  message.find(" did not finish the filter in 300 ms") != std::string::npos,
              "unexpected error: %s", message.c_str());
  }
}
