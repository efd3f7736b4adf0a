// linux.seccomp -> a BPF program, built with libseccomp and exported rather
// than loaded: berth loads it itself with seccomp(2) in the init, at the last
// moment, and libseccomp is never asked to touch the process's own state.
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "seccomp/filter.hpp"
#include "sys/log.hpp"
#include "tables/seccomp.hpp"
#include "json/value.hpp"

namespace berth::seccomp {
namespace {

// config-linux.md: errnoRet and defaultErrnoRet default to EPERM.
constexpr std::uint32_t kDefaultErrnoRet = EPERM;

// The kernel passes six arguments to a system call.
constexpr std::size_t kArgCount = 6;

struct ContextRelease {
  void operator()(void *ctx) const { seccomp_release(ctx); }
};
using Context = std::unique_ptr<void, ContextRelease>;

std::unexpected<Error> fail_at(std::string_view pointer, std::string_view why,
                               int errno_value = 0) {
  std::string message = "config.json: ";
  message += pointer;
  message += ": ";
  message += why;
  return fail(std::move(message), errno_value);
}

std::string at(std::string_view pointer, std::string_view key) {
  return json::pointer_append(pointer, key);
}
std::string at(std::string_view pointer, std::size_t index) {
  return json::pointer_append(pointer, index);
}

std::string libseccomp_version() {
  const scmp_version *v = seccomp_version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
}

// libseccomp 2.5.4 refuses an ERRNO or TRACE action whose data is 4095 or
// more (the kernel would cap it at 4095, MAX_ERRNO).
constexpr std::uint32_t kMaxErrnoRet = 4094;

// The action of `name` with its errno folded in; errors name the action or
// the errnoRet at the given pointers.
Result<std::uint32_t> action_value(const std::string &name,
                                   const std::optional<std::uint32_t> &errno_ret,
                                   std::string_view action_pointer,
                                   std::string_view errno_pointer) {
  const auto *info = tables::find_seccomp_action(name);
  if (!info)
    return fail_at(action_pointer, "unknown seccomp action \"" + name + "\"");
  if (info->takes_errno && errno_ret && *errno_ret > kMaxErrnoRet)
    return fail_at(errno_pointer, "expected an errno from 0 to " + std::to_string(kMaxErrnoRet) +
                                      " (libseccomp " + libseccomp_version() + "), got " +
                                      std::to_string(*errno_ret));
  return tables::seccomp_action_value(*info, errno_ret.value_or(kDefaultErrnoRet));
}

scmp_arg_cmp make_cmp(unsigned index, scmp_compare op, std::uint64_t a, std::uint64_t b = 0) {
  return scmp_arg_cmp{.arg = index, .op = op, .datum_a = a, .datum_b = b};
}

// The conditions of each libseccomp rule one syscalls entry becomes (an empty
// list is an unconditional rule).
Result<std::vector<std::vector<scmp_arg_cmp>>> plan_conditions(const spec::SeccompSyscall &syscall,
                                                               std::string_view pointer) {
  std::array<std::vector<const spec::SeccompArg *>, kArgCount> by_index;
  for (std::size_t i = 0; i < syscall.args.size(); ++i) {
    const spec::SeccompArg &arg = syscall.args[i];
    std::string entry = at(at(pointer, "args"), i);
    if (arg.index >= kArgCount)
      return fail_at(at(entry, "index"), "expected an integer from 0 to 5");
    if (!tables::find_seccomp_operator(arg.op))
      return fail_at(at(entry, "op"), "unknown seccomp operator \"" + arg.op + "\"");
    by_index[arg.index].push_back(&arg);
  }

  auto condition = [](const spec::SeccompArg &arg) {
    return make_cmp(arg.index, tables::find_seccomp_operator(arg.op)->op, arg.value,
                    arg.value_two.value_or(0));
  };
  bool repeated = std::any_of(by_index.begin(), by_index.end(),
                              [](const auto &args) { return args.size() > 1; });
  std::vector<std::vector<scmp_arg_cmp>> rules;
  if (!repeated) {
    // The usual case: one rule whose conditions must all hold.
    rules.emplace_back();
    for (const auto &arg : syscall.args)
      rules.back().push_back(condition(arg));
    return rules;
  }
  // libseccomp refuses two conditions on one argument in a rule (EINVAL).
  // runc and crun then add one rule per condition, so that any one of them
  // matching applies the action; engines' profiles are written for that, and
  // berth does the same.
  for (const auto &arg : syscall.args)
    rules.push_back({condition(arg)});
  return rules;
}

// What libseccomp is asked to do, worked out in berth's own process: every
// check that can fail on the config happens here, so that the child that runs
// libseccomp (see run_libseccomp) only has libseccomp's own refusals to report.
struct PlannedArch {
  std::uint32_t token;
  std::size_t index; // in architectures
};
struct PlannedRule {
  std::uint32_t action;
  int nr;
  std::vector<scmp_arg_cmp> conditions;
  std::size_t entry; // in syscalls
  std::size_t name;  // in that entry's names
};
struct Plan {
  std::uint32_t default_action = 0;
  std::vector<PlannedArch> architectures;
  std::vector<PlannedRule> rules;
};

Result<void> plan_architectures(const spec::Seccomp &seccomp, std::string_view pointer,
                                Plan &plan) {
  for (std::size_t i = 0; i < seccomp.architectures.size(); ++i) {
    const std::string &name = seccomp.architectures[i];
    std::string where = at(at(pointer, "architectures"), i);
    const auto *arch = tables::find_seccomp_arch(name);
    if (!arch)
      return fail_at(where, "unknown seccomp architecture \"" + name + "\"");
    if (!arch->available)
      return fail_at(where, name + " is not supported by libseccomp " + libseccomp_version());
    plan.architectures.push_back({arch->token, i});
  }
  return {};
}

Result<void> plan_rules(const spec::Seccomp &seccomp, std::string_view pointer, Plan &plan) {
  for (std::size_t i = 0; i < seccomp.syscalls.size(); ++i) {
    const spec::SeccompSyscall &syscall = seccomp.syscalls[i];
    std::string entry = at(at(pointer, "syscalls"), i);
    BERTH_TRY_ASSIGN(std::uint32_t action,
                     action_value(syscall.action, syscall.errno_ret, at(entry, "action"),
                                  at(entry, "errnoRet")));
    // libseccomp refuses a rule that repeats the default action (EACCES), and
    // such a rule would change nothing anyway.
    if (action == plan.default_action)
      continue;
    BERTH_TRY_ASSIGN(auto rules, plan_conditions(syscall, entry));
    for (std::size_t j = 0; j < syscall.names.size(); ++j) {
      const std::string &name = syscall.names[j];
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) {
        // Profiles list calls newer than this libseccomp (or for other
        // architectures only); a call it cannot name, it cannot filter.
        if (log::debug_enabled())
          log::debug("seccomp: skipping unknown system call \"" + name + "\" (" +
                     at(at(entry, "names"), j) + ")");
        continue;
      }
      for (const auto &conditions : rules)
        plan.rules.push_back({action, nr, conditions, i, j});
    }
  }
  return {};
}

// A libseccomp call that failed in the child: which one, for which planned
// architecture or rule, and its (negative errno) return code.
enum class Step : std::uint32_t { Init, Attributes, Architecture, Rule, Export };
struct StepFailure {
  Step step;
  std::uint32_t item;
  std::int32_t rc;
};

// Runs libseccomp over the plan and exports the program to `out_fd`. Called in
// the child; allocates, so never after a fork of a multi-threaded process
// (berth has one thread when it compiles).
std::optional<StepFailure> build_filter(const Plan &plan, int out_fd) {
  Context ctx(seccomp_init(plan.default_action));
  if (!ctx)
    return StepFailure{Step::Init, 0, -EINVAL};
  // berth loads the exported program itself; no_new_privs is the config's
  // business (process.noNewPrivileges), not libseccomp's. Raw return codes
  // make libseccomp's errors the kernel's errnos rather than its own ECANCELED.
  int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);
  if (rc == 0)
    rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_API_SYSRAWRC, 1);
  if (rc < 0)
    return StepFailure{Step::Attributes, 0, rc};
  for (std::size_t i = 0; i < plan.architectures.size(); ++i) {
    rc = seccomp_arch_add(ctx.get(), plan.architectures[i].token);
    // The native architecture is always there; listing it again is fine.
    if (rc < 0 && rc != -EEXIST)
      return StepFailure{Step::Architecture, static_cast<std::uint32_t>(i), rc};
  }
  for (std::size_t i = 0; i < plan.rules.size(); ++i) {
    const PlannedRule &rule = plan.rules[i];
    // Not seccomp_rule_add_exact: the plain form lets libseccomp rewrite the
    // rule for architectures where the call is multiplexed (socketcall, ipc)
    // or missing.
    rc = seccomp_rule_add_array(ctx.get(), rule.action, rule.nr,
                                static_cast<unsigned>(rule.conditions.size()),
                                rule.conditions.data());
    if (rc < 0)
      return StepFailure{Step::Rule, static_cast<std::uint32_t>(i), rc};
  }
  rc = seccomp_export_bpf(ctx.get(), out_fd);
  if (rc < 0)
    return StepFailure{Step::Export, 0, rc};
  return std::nullopt;
}

// waitpid for `pid`, through EINTR. std::nullopt when the child was reaped by
// someone else (SIGCHLD ignored).
std::optional<int> reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return std::nullopt;
  return status;
}

// libseccomp 2.5.4 can loop forever inside seccomp_rule_add: fuzzing found
// that two rules for one call whose conditions share a 64-bit range
// comparison on one argument (arg2 <= 1000003) and then compare another
// argument with values that differ in their high 32 bits (arg3 == 5, then
// arg3 == 0x100000000) never return. A config must not be able to hang berth,
// so libseccomp works on the plan in a forked child, against a deadline; the
// program comes back through `memfd` and a failed step through a pipe.
Result<std::optional<StepFailure>> run_libseccomp(const Plan &plan, int memfd,
                                                  std::chrono::milliseconds deadline,
                                                  std::string_view pointer) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) < 0)
    return fail_errno("seccomp: pipe2");
  UniqueFd from_child(pipe_fds[0]);
  UniqueFd to_parent(pipe_fds[1]);
  pid_t pid = ::fork();
  if (pid < 0)
    return fail_errno("seccomp: fork");
  if (pid == 0) {
    auto failure = build_filter(plan, memfd);
    if (failure && ::write(to_parent.get(), &*failure, sizeof *failure) < 0)
      ::_exit(2);
    // _exit: nothing of the parent's (atexit handlers, buffers) runs twice.
    ::_exit(failure ? 1 : 0);
  }
  to_parent.reset();

  StepFailure failure{};
  auto *bytes = reinterpret_cast<char *>(&failure);
  std::size_t got = 0;
  auto until = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(pid, SIGKILL);
      reap(pid);
      return fail_at(pointer, "libseccomp " + libseccomp_version() +
                                  " did not finish the filter in " +
                                  std::to_string(deadline.count()) +
                                  " ms (it can loop forever on some combinations of argument "
                                  "conditions)");
    }
    pollfd readable{.fd = from_child.get(), .events = POLLIN, .revents = 0};
    int ready = ::poll(&readable, 1, static_cast<int>(left.count()));
    if (ready == 0 || (ready < 0 && errno == EINTR))
      continue;
    ssize_t n = ready < 0 ? -1 : ::read(from_child.get(), bytes + got, sizeof failure - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int saved = errno;
      ::kill(pid, SIGKILL);
      reap(pid);
      return fail("seccomp: wait for libseccomp", saved);
    }
    if (n == 0 || (got += static_cast<std::size_t>(n)) == sizeof failure)
      break;
  }
  auto status = reap(pid);
  if (got == sizeof failure)
    return failure;
  if (got != 0 || (status && !(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)))
    return fail("seccomp: libseccomp's process failed" +
                (status && WIFSIGNALED(*status)
                     ? std::string(" (signal ") + std::to_string(WTERMSIG(*status)) + ")"
                     : std::string()));
  return std::nullopt;
}

// The error of a step that failed in the child, named as the config says it.
Error step_error(const StepFailure &failure, const Plan &plan, const spec::Seccomp &seccomp,
                 std::string_view pointer) {
  switch (failure.step) {
  case Step::Init:
    return fail_at(at(pointer, "defaultAction"),
                   "libseccomp refuses default action " + seccomp.default_action, EINVAL)
        .error();
  case Step::Attributes:
    return Error("seccomp: set libseccomp filter attributes", -failure.rc);
  case Step::Architecture: {
    std::size_t index = plan.architectures.at(failure.item).index;
    return fail_at(at(at(pointer, "architectures"), index),
                   "add architecture " + seccomp.architectures[index], -failure.rc)
        .error();
  }
  case Step::Rule: {
    const PlannedRule &rule = plan.rules.at(failure.item);
    return fail_at(at(at(pointer, "syscalls"), rule.entry),
                   "add rule for " + seccomp.syscalls[rule.entry].names[rule.name], -failure.rc)
        .error();
  }
  case Step::Export:
    break;
  }
  return Error("seccomp: export the filter", -failure.rc);
}

// The program libseccomp exported into `memfd`.
Result<std::vector<sock_filter>> read_program(int memfd, std::string_view pointer) {
  struct stat st {};
  if (::fstat(memfd, &st) < 0)
    return fail_errno("seccomp: stat the exported filter");
  auto size = static_cast<std::size_t>(st.st_size);
  if (size == 0 || size % sizeof(sock_filter) != 0)
    return fail("seccomp: the exported filter has " + std::to_string(size) +
                " bytes, not a whole number of instructions");
  std::size_t count = size / sizeof(sock_filter);
  // The kernel refuses longer programs (EINVAL at load); say so now, with the path.
  if (count > BPF_MAXINSNS)
    return fail_at(pointer, "the filter has " + std::to_string(count) +
                                " instructions, more than the kernel's " +
                                std::to_string(BPF_MAXINSNS));
  std::vector<sock_filter> instructions(count);
  auto *bytes = reinterpret_cast<char *>(instructions.data());
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(memfd, bytes + done, size - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return fail_errno("seccomp: read the exported filter");
    if (n == 0)
      return fail("seccomp: the exported filter is shorter than its size");
    done += static_cast<std::size_t>(n);
  }
  return instructions;
}

bool mentions_notify(const spec::Seccomp &seccomp) {
  if (seccomp.default_action == "SCMP_ACT_NOTIFY")
    return true;
  for (const auto &syscall : seccomp.syscalls)
    if (syscall.action == "SCMP_ACT_NOTIFY")
      return true;
  return false;
}

Result<unsigned long> kernel_flags(const spec::Seccomp &seccomp, bool notify,
                                   std::string_view pointer) {
  unsigned long flags = 0;
  for (std::size_t i = 0; i < seccomp.flags.size(); ++i) {
    const auto *flag = tables::find_seccomp_flag(seccomp.flags[i]);
    if (!flag)
      return fail_at(at(at(pointer, "flags"), i),
                     "unknown seccomp flag \"" + seccomp.flags[i] + "\"");
    // TSYNC only matters to a multi-threaded caller; the init has one thread,
    // and the kernel refuses TSYNC together with NEW_LISTENER.
    if (flag->kernel_flag == SECCOMP_FILTER_FLAG_TSYNC)
      continue;
    flags |= flag->kernel_flag;
  }
  if (notify) {
    flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  } else if ((flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) != 0) {
    // It changes how a listener waits, and the kernel refuses it without one.
    log::debug("seccomp: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV dropped: no SCMP_ACT_NOTIFY");
    flags &= ~static_cast<unsigned long>(SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);
  }
  return flags;
}

// Whether a call the profile does not know should fail with ENOSYS rather
// than get the default action: when that action denies (an errno other than
// ENOSYS, a kill, a trap). An allowing, logging, tracing or notifying default
// already lets glibc and Go see what they would see without a filter.
bool default_denies(std::uint32_t default_action) {
  switch (default_action & SECCOMP_RET_ACTION_FULL) {
  case SECCOMP_RET_ERRNO:
    return (default_action & SECCOMP_RET_DATA) != ENOSYS;
  case SECCOMP_RET_KILL_PROCESS:
  case SECCOMP_RET_KILL_THREAD:
  case SECCOMP_RET_TRAP:
    return true;
  default:
    return false;
  }
}

// The highest system call number the profile names, per architecture the
// filter covers (the native one and those listed). An architecture none of
// the names resolve on is left out.
std::vector<NewestKnown> newest_known(const spec::Seccomp &seccomp, const Plan &plan) {
  std::vector<std::uint32_t> tokens{seccomp_arch_native()};
  for (const PlannedArch &arch : plan.architectures)
    if (std::find(tokens.begin(), tokens.end(), arch.token) == tokens.end())
      tokens.push_back(arch.token);
  std::vector<NewestKnown> out;
  for (std::uint32_t token : tokens) {
    // x32 shares AUDIT_ARCH_X86_64 with x86_64 (its calls carry bit 30): the
    // kernel never reports its token, so it gets no check of its own.
    if (token == SCMP_ARCH_X32)
      continue;
    int newest = -1;
    for (const auto &syscall : seccomp.syscalls)
      for (const auto &name : syscall.names)
        // Negative: not a call of this architecture (or unknown to libseccomp).
        newest = std::max(newest, seccomp_syscall_resolve_name_arch(token, name.c_str()));
    if (newest >= 0)
      out.push_back({token, static_cast<std::uint32_t>(newest)});
  }
  return out;
}

} // namespace

std::vector<sock_filter> enosys_prologue(const std::vector<NewestKnown> &newest) {
  // ld arch; per architecture: jeq arch (else next); ld nr; [x86_64: jge
  // X32_BIT -> program]; jgt newest -> ENOSYS, else -> program. Then "ja
  // program" for other architectures, "ret ERRNO(ENOSYS)", and the program,
  // which loads what it needs itself. Jumps only go forward, and only to the
  // ret or the program's first instruction, so the program is unchanged.
  constexpr std::uint32_t kX32Bit = 0x40000000;
  std::vector<sock_filter> out;
  auto stmt = [&](std::uint16_t code, std::uint32_t k) { out.push_back(BPF_STMT(code, k)); };
  stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch));
  // Where each conditional jump has to go, patched once the layout is known.
  struct Patch {
    std::size_t at;
    bool true_branch;
    bool to_enosys; // else to the program
  };
  std::vector<Patch> patches;
  for (const NewestKnown &arch : newest) {
    bool x86_64 = arch.token == SCMP_ARCH_X86_64;
    std::uint8_t block = x86_64 ? 3 : 2; // instructions after the jeq
    out.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch.token, 0, block));
    stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr));
    if (x86_64) {
      patches.push_back({out.size(), true, false});
      out.push_back(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, kX32Bit, 0, 0));
    }
    patches.push_back({out.size(), true, true});
    patches.push_back({out.size(), false, false});
    out.push_back(BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, arch.newest, 0, 0));
  }
  stmt(BPF_JMP | BPF_JA, 1);
  std::size_t enosys = out.size();
  stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA));
  std::size_t program = out.size();
  for (const Patch &patch : patches) {
    std::size_t target = patch.to_enosys ? enosys : program;
    auto offset = static_cast<std::uint8_t>(target - patch.at - 1);
    (patch.true_branch ? out[patch.at].jt : out[patch.at].jf) = offset;
  }
  return out;
}

Result<Program> compile(const spec::Seccomp &seccomp, std::string_view pointer,
                        std::chrono::milliseconds deadline, bool enosys_for_newer) {
  Plan plan;
  BERTH_TRY_ASSIGN(plan.default_action,
                   action_value(seccomp.default_action, seccomp.default_errno_ret,
                                at(pointer, "defaultAction"), at(pointer, "defaultErrnoRet")));
  // spec/ validation does not tie the two together; without an agent to
  // answer, a notified call would block forever.
  bool notify = mentions_notify(seccomp);
  if (notify && !seccomp.listener_path)
    return fail_at(at(pointer, "listenerPath"), "SCMP_ACT_NOTIFY needs a listenerPath");

  Program program;
  BERTH_TRY_ASSIGN(program.flags, kernel_flags(seccomp, notify, pointer));
  BERTH_TRY(plan_architectures(seccomp, pointer, plan));
  BERTH_TRY(plan_rules(seccomp, pointer, plan));

  // libseccomp 2.5 can only export to an fd; a memfd keeps that off the disk.
  UniqueFd memfd(::memfd_create("berth-seccomp", MFD_CLOEXEC));
  if (!memfd)
    return fail_errno("seccomp: memfd_create");
  BERTH_TRY_ASSIGN(auto failure, run_libseccomp(plan, memfd.get(), deadline, pointer));
  if (failure)
    return fail(step_error(*failure, plan, seccomp, pointer));
  BERTH_TRY_ASSIGN(program.instructions, read_program(memfd.get(), pointer));
  if (enosys_for_newer && default_denies(plan.default_action)) {
    auto prologue = enosys_prologue(newest_known(seccomp, plan));
    program.instructions.insert(program.instructions.begin(), prologue.begin(), prologue.end());
    if (program.instructions.size() > BPF_MAXINSNS)
      return fail_at(pointer, "the filter has " + std::to_string(program.instructions.size()) +
                                  " instructions, more than the kernel's " +
                                  std::to_string(BPF_MAXINSNS));
  }
  return program;
}

} // namespace berth::seccomp
