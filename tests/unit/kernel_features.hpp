// Probes of the optional kernel features unit tests depend on. Each probe runs
// where a missing feature cannot hurt the test process: in a forked child, or
// through a call that fails cleanly. Each returns "" when the feature is
// there, or the reason to skip: what this kernel lacks. A test skips with it:
//
//   if (auto missing = berth::test::missing_ia32_entry(); !missing.empty())
//     cr_skip_test("%s", missing.c_str());
#pragma once

#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace berth::test {

#if defined(__x86_64__)

// getpid (i386 number 20) through the 32-bit entry point, int $0x80. On a
// kernel without IA-32 emulation (CONFIG_IA32_EMULATION unset, or booted with
// ia32_emulation=off) the instruction raises SIGSEGV: call it only in a child.
inline long getpid_int80() {
  long rc;
  __asm__ volatile("int $0x80" : "=a"(rc) : "a"(20L) : "memory", "r8", "r9", "r10", "r11");
  return rc;
}

// Whether int $0x80 reaches the i386 system call table. The probe forks: the
// child exits 0 only if the 32-bit getpid returned its own pid, so a child
// killed by a signal, or one that got anything else back, means "missing".
inline std::string missing_ia32_entry() {
  pid_t pid = ::fork();
  if (pid < 0)
    return std::string("cannot fork to probe the IA-32 entry point: ") + std::strerror(errno);
  if (pid == 0) {
    // The SIGSEGV of a kernel without it kills the child, whatever handler the
    // test framework or a sanitizer runtime installed, and leaves no core file.
    ::signal(SIGSEGV, SIG_DFL);
    rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    long rc = getpid_int80();
    ::_exit(rc == ::syscall(SYS_getpid) ? 0 : 1);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return std::string("cannot wait for the IA-32 probe: ") + std::strerror(errno);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return "";
  if (WIFSIGNALED(status)) {
    const char *name = ::sigabbrev_np(WTERMSIG(status));
    return std::string("kernel has no IA-32 emulation (int $0x80 raises SIG") +
           (name ? name : std::to_string(WTERMSIG(status)).c_str()) + ")";
  }
  return "kernel has no IA-32 emulation (the i386 getpid through int $0x80 did not return the pid)";
}

#endif

} // namespace berth::test
