#include "sys/path_resolve.hpp"

#include <linux/openat2.h>
#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <deque>
#include <optional>

#include "sys/syscalls.hpp"

namespace berth::sys {
namespace {

// openat2 answers EAGAIN when a rename or mount raced with an in-root lookup;
// the lookup is simply tried again, a bounded number of times.
constexpr int kEagainRetries = 32;

// Symlinks followed by hand (dangling ones, whose targets berth creates) before
// the path counts as a loop: the kernel's own limit.
constexpr int kMaxSymlinks = 40;

std::uint64_t resolve_flags(InRootOptions options) {
  std::uint64_t resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  if (options.no_symlinks)
    resolve |= RESOLVE_NO_SYMLINKS;
  return resolve;
}

// The path as openat2 wants it relative to the root: no leading slash, "." for
// the root itself.
std::string relative_to_root(std::string_view path) {
  while (!path.empty() && path.front() == '/')
    path.remove_prefix(1);
  return path.empty() ? std::string(".") : std::string(path);
}

std::string join_names(const std::vector<std::string> &names, std::size_t count) {
  std::string joined;
  for (std::size_t i = 0; i < count; ++i) {
    if (i)
      joined += '/';
    joined += names[i];
  }
  return joined.empty() ? std::string(".") : joined;
}

// Returns the fd, or -1 with errno set.
int openat2_in_root(int root_fd, const std::string &relative, int flags, mode_t mode,
                    InRootOptions options) {
  std::uint64_t how_flags = static_cast<unsigned>(flags) | O_CLOEXEC;
  if (options.no_follow_last)
    how_flags |= O_NOFOLLOW;
  // openat2 rejects a mode without O_CREAT/O_TMPFILE.
  if (!(flags & O_CREAT) && (flags & O_TMPFILE) != O_TMPFILE)
    mode = 0;
  for (int attempt = 0;; ++attempt) {
    int fd = openat2_raw(root_fd, relative.c_str(), how_flags, mode, resolve_flags(options));
    if (fd >= 0 || errno != EAGAIN || attempt == kEagainRetries)
      return fd;
  }
}

// The target of the symlink `name` in the directory `parent_fd`; nullopt when
// it is not a symlink (or its target is unusable).
std::optional<std::string> dangling_link_target(int parent_fd, const std::string &name) {
  std::string target(PATH_MAX, '\0');
  ssize_t length = ::readlinkat(parent_fd, name.c_str(), target.data(), target.size());
  if (length <= 0 || static_cast<std::size_t>(length) >= target.size())
    return std::nullopt;
  target.resize(static_cast<std::size_t>(length));
  return target;
}

std::string shown(std::string_view path) {
  return path.empty() ? std::string("/") : std::string(path);
}

} // namespace

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> names;
  while (!path.empty()) {
    auto slash = path.find('/');
    auto name = path.substr(0, slash);
    if (!name.empty() && name != ".")
      names.emplace_back(name);
    if (slash == std::string_view::npos)
      break;
    path.remove_prefix(slash + 1);
  }
  return names;
}

Result<UniqueFd> open_in_root(int root_fd, std::string_view path, int flags, mode_t mode,
                              InRootOptions options) {
  int fd = openat2_in_root(root_fd, relative_to_root(path), flags, mode, options);
  if (fd < 0)
    return fail_errno("open " + shown(path) + " in rootfs");
  return UniqueFd(fd);
}

Result<UniqueFd> mkdir_all_in_root(int root_fd, std::string_view path, mode_t mode,
                                   InRootOptions options) {
  InRootOptions dir_options = options;
  dir_options.no_follow_last = false;
  int fd = openat2_in_root(root_fd, ".", O_PATH | O_DIRECTORY, 0, dir_options);
  if (fd < 0)
    return fail_errno("open the rootfs");
  UniqueFd current(fd);
  // `done` are the names already opened (current is the last of them); a
  // dangling symlink's target replaces its name at the front of `pending`.
  std::vector<std::string> done;
  auto names = split_path(path);
  std::deque<std::string> pending(names.begin(), names.end());
  int links_followed = 0;
  while (!pending.empty()) {
    std::string name = std::move(pending.front());
    pending.pop_front();
    done.push_back(name);
    const auto prefix = join_names(done, done.size());
    fd = openat2_in_root(root_fd, prefix, O_PATH | O_DIRECTORY, 0, dir_options);
    if (fd < 0 && errno == ENOENT && name != "..") {
      // The name is created in the directory the previous step verified, so it
      // lands inside the root whatever the rest of the tree looks like.
      if (::mkdirat(current.get(), name.c_str(), mode) < 0 && errno != EEXIST)
        return fail_errno("mkdir /" + prefix + " in rootfs");
      fd = openat2_in_root(root_fd, prefix, O_PATH | O_DIRECTORY, 0, dir_options);
      if (fd < 0 && errno == ENOENT) {
        // A dangling symlink: what it names is created instead, as runc and
        // crun do, resolved in the root like any other path.
        auto target = dangling_link_target(current.get(), name);
        if (!target)
          return fail("mkdir /" + prefix + " in rootfs: a dangling symlink is in the way", ENOENT);
        if (++links_followed > kMaxSymlinks)
          return fail("mkdir /" + prefix + " in rootfs: too many levels of symbolic links", ELOOP);
        done.pop_back();
        if (target->front() == '/') {
          done.clear();
          fd = openat2_in_root(root_fd, ".", O_PATH | O_DIRECTORY, 0, dir_options);
          if (fd < 0)
            return fail_errno("open the rootfs");
          current.reset(fd);
        }
        auto target_names = split_path(*target);
        pending.insert(pending.begin(), target_names.begin(), target_names.end());
        continue;
      }
    }
    if (fd < 0) {
      if (errno == ELOOP && options.no_symlinks)
        return fail("open /" + prefix + " in rootfs: a symlink is not allowed here", ELOOP);
      return fail_errno("open directory /" + prefix + " in rootfs");
    }
    current.reset(fd);
  }
  return current;
}

Result<ParentAndName> open_parent_in_root(int root_fd, std::string_view path, mode_t mode,
                                          InRootOptions options) {
  auto names = split_path(path);
  if (names.empty() || names.back() == "..")
    return fail("path " + shown(path) + " does not name an entry", EINVAL);
  BERTH_TRY_ASSIGN(UniqueFd parent,
                   mkdir_all_in_root(root_fd, join_names(names, names.size() - 1), mode, options));
  return ParentAndName{std::move(parent), names.back()};
}

Result<UniqueFd> create_file_in_root(int root_fd, std::string_view path, mode_t mode,
                                     InRootOptions options) {
  std::string wanted(path);
  for (int links_followed = 0;; ++links_followed) {
    BERTH_TRY_ASSIGN(auto entry, open_parent_in_root(root_fd, wanted, 0755, options));
    const auto relative = relative_to_root(wanted);
    int fd = openat2_in_root(root_fd, relative, O_PATH, 0, options);
    if (fd < 0 && errno == ENOENT) {
      int created = ::openat(entry.parent.get(), entry.name.c_str(),
                             O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
      if (created < 0 && errno != EEXIST)
        return fail_errno("create /" + relative + " in rootfs");
      if (created >= 0)
        ::close(created);
      fd = openat2_in_root(root_fd, relative, O_PATH, 0, options);
      if (fd < 0 && errno == ENOENT) {
        // A dangling symlink: the file it names is created instead, resolved
        // in the root (a relative target from the link's own directory).
        auto target = dangling_link_target(entry.parent.get(), entry.name);
        if (!target)
          return fail("create /" + relative + " in rootfs: a dangling symlink is in the way",
                      ENOENT);
        if (links_followed == kMaxSymlinks)
          return fail("create /" + relative + " in rootfs: too many levels of symbolic links",
                      ELOOP);
        if (target->front() == '/') {
          wanted = *target;
        } else {
          auto names = split_path(wanted);
          wanted = join_names(names, names.size() - 1) + "/" + *target;
        }
        continue;
      }
    }
    if (fd < 0)
      return fail_errno("open /" + relative + " in rootfs");
    UniqueFd file(fd);
    struct stat st {};
    if (::fstat(file.get(), &st) < 0)
      return fail_errno("stat /" + relative + " in rootfs");
    if (S_ISDIR(st.st_mode))
      return fail("/" + relative + " in rootfs is a directory, expected a file", EISDIR);
    return file;
  }
}

} // namespace berth::sys
