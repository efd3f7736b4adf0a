// Resolution of paths inside an untrusted directory tree (a container's rootfs).
//
// Every lookup goes through openat2(2) with RESOLVE_IN_ROOT, so ".." and absolute
// symlinks are clamped to the root the caller passes as a directory fd, and with
// RESOLVE_NO_MAGICLINKS, so /proc/<pid>/fd-style links cannot jump out of it.
// Paths are only split into names; no host path is ever built by joining strings.
#pragma once

#include <fcntl.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace berth::sys {

// Extra RESOLVE_* flags a caller may ask for on top of the in-root defaults.
struct InRootOptions {
  // RESOLVE_NO_SYMLINKS: reject a symlink anywhere on the path, even one that
  // stays inside the root (for /proc and /sys destinations).
  bool no_symlinks = false;
  // Do not follow a symlink in the last component (O_NOFOLLOW); with O_PATH the
  // fd then refers to the link itself.
  bool no_follow_last = false;
};

// The non-empty names of `path`, with "." dropped ("/a//./b/" -> {"a", "b"}).
// ".." is kept: the kernel resolves it, clamped to the root.
std::vector<std::string> split_path(std::string_view path);

// Opens `path` inside the tree rooted at `root_fd`. An absolute path is taken
// relative to the root; "" and "/" open the root itself. `flags` default to
// O_PATH; O_CLOEXEC is always added. Errors name the path.
Result<UniqueFd> open_in_root(int root_fd, std::string_view path, int flags = O_PATH,
                              mode_t mode = 0, InRootOptions options = {});

// Makes sure every directory of `path` exists inside the root, creating the
// missing ones one name at a time (mkdirat in the already verified parent, then
// a fresh in-root lookup), and returns an O_PATH fd of the last one. A symlink on
// the way is followed only within the root; a dangling one has its target created
// there, as runc does (its name resolved in the root like the rest of the path:
// never a host path). A non-directory on the way is an error.
Result<UniqueFd> mkdir_all_in_root(int root_fd, std::string_view path, mode_t mode = 0755,
                                   InRootOptions options = {});

// Makes sure `path` exists inside the root as a non-directory, creating its
// parent directories and an empty regular file when nothing is there (a target
// for a file bind mount), and returns an O_PATH fd of it. A dangling symlink
// there has its target created inside the root instead. An existing directory
// is an error.
Result<UniqueFd> create_file_in_root(int root_fd, std::string_view path, mode_t mode = 0644,
                                     InRootOptions options = {});

// Opens the parent directory of `path` inside the root (creating missing
// directories) and returns it with the last name, for *at calls such as
// mknodat, symlinkat and unlinkat that must not follow the last component.
struct ParentAndName {
  UniqueFd parent; // O_PATH directory fd
  std::string name;
};
Result<ParentAndName> open_parent_in_root(int root_fd, std::string_view path, mode_t mode = 0755,
                                          InRootOptions options = {});

} // namespace berth::sys
