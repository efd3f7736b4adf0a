#include "sys/unwritable_exe.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sys/mount_api.hpp"
#include "sys/syscalls.hpp"
#include "sys/unique_fd.hpp"

extern char **environ;

namespace berth::sys {
namespace {

constexpr const char *kSelf = "/proc/self/exe";
// Linux 6.3's memfd_create flag for an executable memfd (vm.memfd_noexec);
// glibc 2.36's headers predate it.
constexpr unsigned kMemfdExec = 0x10U;

bool is_sealed_against_writes(int fd) {
  int seals = ::fcntl(fd, F_GET_SEALS);
  return seals >= 0 && (seals & F_SEAL_WRITE) != 0;
}

// The mount's flags come with the filesystem's in statvfs (since Linux 2.6.36).
bool on_read_only_mount(int fd) {
  struct statvfs st {};
  return ::fstatvfs(fd, &st) == 0 && (st.f_flag & ST_RDONLY) != 0;
}

bool is_unwritable(int fd) {
  return on_read_only_mount(fd) || is_sealed_against_writes(fd);
}

// A bind mount of the binary alone, detached (in no mount namespace, so no
// container can reach it to remount it) and read-only.
Result<UniqueFd> read_only_bind() {
  BERTH_TRY_ASSIGN(UniqueFd mount, clone_mount(AT_FDCWD, kSelf, false));
  BERTH_TRY(set_mount_attr(
      mount.get(), {.set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV}, false));
  return mount;
}

// The binary's bytes in a memfd that is then sealed: the copy costs the
// binary's size in memory for as long as a process runs from it.
Result<UniqueFd> sealed_copy(int exe) {
  struct stat st {};
  if (::fstat(exe, &st) < 0)
    return fail_errno("stat berth's binary");
  unsigned flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
  UniqueFd copy(::memfd_create("berth", flags | kMemfdExec));
  if (!copy && errno == EINVAL) // kernels before 6.3 know no MFD_EXEC
    copy.reset(::memfd_create("berth", flags));
  if (!copy)
    return fail_errno("memfd_create");
  off_t offset = 0;
  while (offset < st.st_size) {
    ssize_t n = ::sendfile(copy.get(), exe, &offset, static_cast<std::size_t>(st.st_size - offset));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return fail_errno("copy berth's binary into a memfd");
  }
  if (::fcntl(copy.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) <
      0)
    return fail_errno("seal the memfd copy of berth's binary");
  return copy;
}

} // namespace

Result<void> run_from_unwritable_exe(char **argv) {
  BERTH_TRY_ASSIGN(UniqueFd exe, open_path(kSelf, O_RDONLY));
  if (is_unwritable(exe.get()))
    return {};
  auto copy = read_only_bind();
  if (!copy) {
    auto sealed = sealed_copy(exe.get());
    if (!sealed)
      return fail("make a read-only copy of berth's binary to run from: " + copy.error().message() +
                  "; " + sealed.error().message());
    copy = std::move(sealed);
  }
  exe.reset();
  // Checked, not assumed: a copy that turned out writable would otherwise be
  // re-executed from forever.
  if (!is_unwritable(copy->get()))
    return fail("the copy of berth's binary to run from is writable");
  ::syscall(SYS_execveat, copy->get(), "", argv, environ, AT_EMPTY_PATH);
  return fail_errno("re-execute berth from its read-only copy");
}

} // namespace berth::sys
