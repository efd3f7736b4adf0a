#include "lsm/selinux.hpp"

#include <fcntl.h>
#include <sys/xattr.h>

#include <selinux/selinux.h>

#include <algorithm>
#include <array>

#include "sys/procfs_write.hpp"
#include "sys/syscalls.hpp"

namespace berth::lsm {
namespace {

constexpr const char *kAttrDir = "/proc/thread-self/attr";
constexpr const char *kLabelXattr = "security.selinux";

// The filesystems whose new mounts take the mount label as context=. They are
// the in-memory ones a runtime creates for a container (/dev, /dev/shm, /run,
// /tmp, /dev/pts) plus overlay: each mount is a superblock of its own, so the
// label cannot clash with an earlier mount's, and they are the types the
// kernel still accepts context= for inside a user namespace (EACCES for any
// other there). Left out on purpose:
//  - mqueue: the superblock is the IPC namespace's, made by the kernel when the
//    namespace is; a context= on it is refused ("Same superblock, different
//    security settings"), so its root is labeled instead (selinux_label_directory).
//  - proc, sysfs, cgroup, cgroup2: per-namespace superblocks that may be the
//    host's, and the policy labels their files one by one (genfscon); one
//    label over all of /proc would undo that.
//  - disk and network filesystems: their files carry labels of their own;
//    whoever wants them relabeled says context= in the mount's options.
constexpr std::array<std::string_view, 4> kContextTypes = {"tmpfs", "ramfs", "devpts", "overlay"};

// The options of a mount(2) data string: split at commas, except inside double
// quotes (a label's category set has commas: s0:c1,c2).
std::vector<std::string_view> split_data(std::string_view data) {
  std::vector<std::string_view> options;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (data[i] == '"')
      quoted = !quoted;
    else if (data[i] == ',' && !quoted) {
      options.push_back(data.substr(start, i - start));
      start = i + 1;
    }
  }
  if (start < data.size())
    options.push_back(data.substr(start));
  return options;
}

// context= and defcontext= exclude each other and themselves (the kernel
// refuses the mount), so an option the config already gives wins over the
// mount label. fscontext= and rootcontext= combine with context=.
bool sets_file_context(std::string_view option) {
  const auto key = option.substr(0, option.find('='));
  return key == "context" || key == "defcontext";
}

template <class Options>
bool wants_context(std::string_view fstype, const Options &options, const std::string &label) {
  return !label.empty() && selinux_takes_mount_context(fstype) &&
         std::none_of(options.begin(), options.end(),
                      [](std::string_view option) { return sets_file_context(option); });
}

// Quoted so that mount(2)'s data parser keeps the label's commas; berth's
// fsconfig path strips the quotes again (linux/mounts.cpp).
std::string context_option(const std::string &label) {
  return "context=\"" + label + "\"";
}

} // namespace

bool selinux_enabled() {
  static const bool enabled = ::is_selinux_enabled() > 0;
  return enabled;
}

Result<void> selinux_set_exec_label(const std::string &label) {
  if (label.empty() || !selinux_enabled())
    return {};
  // The kernel would parse the context only up to a NUL: refuse rather than
  // run the process under a shorter label than the one asked for.
  if (label.find('\0') != std::string::npos)
    return fail("SELinux label contains a NUL", EINVAL);
  // Not setexeccon(3): it opens the attr file by path, and the container's
  // /proc is the rootfs's to choose; this fd is checked to be procfs.
  BERTH_TRY_ASSIGN(UniqueFd attr, sys::open_procfs_dir(kAttrDir));
  return sys::write_procfs_file(attr.get(), "exec", label, std::string(kAttrDir) + "/exec");
}

Result<void> selinux_label_directory(int dir_fd, const std::string &label) {
  if (label.empty() || !selinux_enabled())
    return {};
  // fsetxattr refuses O_PATH fds: reopen the directory itself for it.
  BERTH_TRY_ASSIGN(UniqueFd dir, sys::open_at(dir_fd, ".", O_RDONLY | O_DIRECTORY));
  // With its NUL, as SELinux userspace stores labels.
  if (::fsetxattr(dir.get(), kLabelXattr, label.c_str(), label.size() + 1, 0) < 0)
    return fail_errno("set the SELinux label " + label);
  return {};
}

bool selinux_takes_mount_context(std::string_view fstype) {
  return std::find(kContextTypes.begin(), kContextTypes.end(), fstype) != kContextTypes.end();
}

std::string selinux_format_mount_data(std::string_view fstype, const std::string &data,
                                      const std::string &label) {
  if (!wants_context(fstype, split_data(data), label))
    return data;
  return data.empty() ? context_option(label) : data + "," + context_option(label);
}

std::vector<std::string> selinux_format_mount_options(std::string_view fstype,
                                                      std::vector<std::string> options,
                                                      const std::string &label) {
  if (wants_context(fstype, options, label))
    options.push_back(context_option(label));
  return options;
}

std::string selinux_mount_data(const std::string &fstype, const std::string &data,
                               const std::string &label) {
  if (!selinux_enabled())
    return data;
  return selinux_format_mount_data(fstype, data, label);
}

std::vector<std::string> selinux_mount_options(std::string_view fstype,
                                               std::vector<std::string> options,
                                               const std::string &label) {
  if (!selinux_enabled())
    return options;
  return selinux_format_mount_options(fstype, std::move(options), label);
}

} // namespace berth::lsm
