/* For the VM suite's seccomp test (security-tests.sh): getppid through the
 * 32-bit x86 entry point (int $0x80, i386 number 64), then through the 64-bit
 * one (syscall, number 110). Prints "int80 R" and "syscall R", R being what
 * the call returned or -errno. Built static by build-initramfs.sh.
 *
 * On a kernel without IA-32 emulation int $0x80 raises SIGSEGV, and a seccomp
 * filter that leaves i386 out kills the process with SIGSYS: either way the
 * program dies before its first line, which the caller sees in its status. */
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static long getppid_int80(void) {
  long rc;
  __asm__ volatile("int $0x80" : "=a"(rc) : "a"(64L) : "memory", "r8", "r9", "r10", "r11");
  return rc;
}

int main(void) {
  printf("int80 %ld\n", getppid_int80());
  fflush(stdout);
  long rc = syscall(SYS_getppid);
  printf("syscall %ld\n", rc < 0 ? -(long)errno : rc);
  return 0;
}
