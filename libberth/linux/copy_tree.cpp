#include "linux/copy_tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "sys/log.hpp"
#include "sys/syscalls.hpp"
#include "sys/unique_fd.hpp"

namespace berth::linux {
namespace {

// A rootfs deep enough to exceed this is hostile or broken.
constexpr int kMaxDepth = 256;

struct DirCloser {
  void operator()(DIR *dir) const { ::closedir(dir); }
};

void copy_owner(int fd, const std::string &name, const struct stat &st, int flags) {
  // An owner outside the user namespace's map cannot be kept; the copy is then
  // owned by the process, which is what a plain copy would give.
  if (::fchownat(fd, name.c_str(), st.st_uid, st.st_gid, flags) < 0)
    log::debug("tmpcopyup: keep owner of " + name + ": " + Error::from_errno("").message());
}

Result<void> copy_file(int source_dir, int target_dir, const std::string &name,
                       const struct stat &st) {
  BERTH_TRY_ASSIGN(UniqueFd in, sys::open_at(source_dir, name, O_RDONLY | O_NOFOLLOW));
  BERTH_TRY_ASSIGN(UniqueFd out,
                   sys::open_at(target_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600));
  off_t remaining = st.st_size;
  while (remaining > 0) {
    ssize_t n = ::sendfile(out.get(), in.get(), nullptr, static_cast<std::size_t>(remaining));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return fail_errno("copy " + name);
    if (n == 0)
      break;
    remaining -= n;
  }
  copy_owner(target_dir, name, st, AT_SYMLINK_NOFOLLOW);
  // After the owner: chown clears the set-id bits.
  if (::fchmod(out.get(), st.st_mode & 07777) < 0)
    return fail_errno("chmod " + name);
  return {};
}

Result<void> copy_symlink(int source_dir, int target_dir, const std::string &name,
                          const struct stat &st) {
  std::string target(static_cast<std::size_t>(st.st_size) + 1, '\0');
  ssize_t n = ::readlinkat(source_dir, name.c_str(), target.data(), target.size());
  if (n < 0)
    return fail_errno("readlink " + name);
  target.resize(static_cast<std::size_t>(n));
  if (::symlinkat(target.c_str(), target_dir, name.c_str()) < 0)
    return fail_errno("symlink " + name);
  copy_owner(target_dir, name, st, AT_SYMLINK_NOFOLLOW);
  return {};
}

Result<void> copy_node(int target_dir, const std::string &name, const struct stat &st) {
  if (::mknodat(target_dir, name.c_str(), st.st_mode, st.st_rdev) < 0) {
    if (errno == EPERM) {
      log::warn("tmpcopyup: cannot create the node " + name + " here; skipped");
      return {};
    }
    return fail_errno("mknod " + name);
  }
  copy_owner(target_dir, name, st, AT_SYMLINK_NOFOLLOW);
  return {};
}

Result<void> copy_dir(int source_dir, int target_dir, int depth);

Result<void> copy_subdir(int source_dir, int target_dir, const std::string &name,
                         const struct stat &st, int depth) {
  if (::mkdirat(target_dir, name.c_str(), 0700) < 0)
    return fail_errno("mkdir " + name);
  BERTH_TRY_ASSIGN(UniqueFd in,
                   sys::open_at(source_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  BERTH_TRY_ASSIGN(UniqueFd out,
                   sys::open_at(target_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  BERTH_TRY_CTX(copy_dir(in.get(), out.get(), depth + 1), name);
  copy_owner(target_dir, name, st, AT_SYMLINK_NOFOLLOW);
  if (::fchmod(out.get(), st.st_mode & 07777) < 0)
    return fail_errno("chmod " + name);
  return {};
}

Result<void> copy_dir(int source_dir, int target_dir, int depth) {
  if (depth > kMaxDepth)
    return fail("directory tree deeper than " + std::to_string(kMaxDepth), ELOOP);
  // fdopendir takes the fd; it gets its own so source_dir stays the caller's.
  BERTH_TRY_ASSIGN(UniqueFd listing, sys::open_at(source_dir, ".", O_RDONLY | O_DIRECTORY));
  std::unique_ptr<DIR, DirCloser> dir(::fdopendir(listing.get()));
  if (!dir)
    return fail_errno("opendir");
  listing.release();
  for (;;) {
    errno = 0;
    struct dirent *entry = ::readdir(dir.get());
    if (!entry) {
      if (errno != 0)
        return fail_errno("readdir");
      return {};
    }
    std::string name = entry->d_name;
    if (name == "." || name == "..")
      continue;
    struct stat st {};
    if (::fstatat(source_dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
      return fail_errno("stat " + name);
    if (S_ISDIR(st.st_mode)) {
      BERTH_TRY(copy_subdir(source_dir, target_dir, name, st, depth));
    } else if (S_ISREG(st.st_mode)) {
      BERTH_TRY(copy_file(source_dir, target_dir, name, st));
    } else if (S_ISLNK(st.st_mode)) {
      BERTH_TRY(copy_symlink(source_dir, target_dir, name, st));
    } else {
      BERTH_TRY(copy_node(target_dir, name, st));
    }
  }
}

} // namespace

Result<void> copy_tree(int source_dir_fd, int target_dir_fd) {
  return copy_dir(source_dir_fd, target_dir_fd, 0);
}

} // namespace berth::linux
