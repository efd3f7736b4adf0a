// libFuzzer target: bytes -> config.json -> the translations berth makes of it
// before anything touches the kernel: linux.seccomp compiled to a BPF program
// (seccomp/compile.cpp) and each mount's options folded into a MountPlan
// (linux/mount_options.cpp).
//
// The input is a whole config (the seeds give the fuzzer a valid skeleton), so
// that the translations only ever see what validation let through, as in berth.
// Beyond "no crash, no sanitizer report", it checks the properties the mount
// code relies on.
#include <linux/filter.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "linux/mount_options.hpp"
#include "seccomp/filter.hpp"
#include "spec/parser.hpp"

namespace {

[[noreturn]] void violated(const char *what, std::string_view detail = {}) {
  std::fprintf(stderr, "fuzz_translate: %s %.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

void check_plan(const berth::linux::MountPlan &plan) {
  // A later option undoes an earlier one, so no flag is both set and cleared.
  if ((plan.flags & plan.cleared) != 0)
    violated("mount flags both set and cleared");
  if ((plan.recursive_set & plan.recursive_clear) != 0)
    violated("recursive attributes both set and cleared");
  if (plan.recursive_bind && !plan.bind)
    violated("rbind without bind");
  if (plan.recursive_idmap && !plan.idmap)
    violated("ridmap without idmap");
  std::string joined;
  for (const auto &option : plan.data_options)
    joined += (joined.empty() ? "" : ",") + option;
  if (plan.data() != joined)
    violated("data() is not the data options joined by ','", plan.data());
  // The rest only has to run: their results go straight to the kernel.
  (void)plan.fsmount_attrs();
  (void)plan.top_attr_change();
  (void)plan.recursive_attr_change();
  (void)plan.superblock_flags();
  (void)plan.unsupported_flags();
}

bool mentions_notify(const berth::spec::Seccomp &seccomp) {
  if (seccomp.default_action == "SCMP_ACT_NOTIFY")
    return true;
  for (const auto &syscall : seccomp.syscalls)
    if (syscall.action == "SCMP_ACT_NOTIFY")
      return true;
  return false;
}

// Well under libFuzzer's -timeout (run.sh): an input on which libseccomp never
// returns must come back as compile()'s error, not as a libFuzzer timeout.
constexpr std::chrono::milliseconds kCompileDeadline{2000};

void check_seccomp(const berth::spec::Seccomp &seccomp) {
  auto program = berth::seccomp::compile(seccomp, "/linux/seccomp", kCompileDeadline);
  if (!program) {
    if (program.error().what().empty())
      violated("seccomp::compile failed without a message");
    return;
  }
  if (program->instructions.empty() || program->instructions.size() > BPF_MAXINSNS)
    violated("seccomp program size out of range", std::to_string(program->instructions.size()));
  if (program->uses_notify() != mentions_notify(seccomp))
    violated("NEW_LISTENER does not match the use of SCMP_ACT_NOTIFY");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  auto config =
      berth::spec::parse_config(std::string_view(reinterpret_cast<const char *>(data), size));
  if (!config)
    return 0;
  for (const auto &mount : config->mounts) {
    check_plan(berth::linux::plan_mount(mount));
    check_plan(berth::linux::plan_mount_options(mount.options));
  }
  if (config->linux && config->linux->seccomp)
    check_seccomp(*config->linux->seccomp);
  return 0;
}
