// The mount options of the runtime spec (config.md, "Linux mount options"):
// classic mount(2) flags, propagation types, recursive attributes applied with
// mount_setattr(2), and the few that are neither. Options not in this table are
// filesystem data ("size=64k", "mode=755") passed through to the filesystem.
#pragma once

#include <linux/mount.h>
#include <sys/mount.h>

#include <array>
#include <cstdint>
#include <string_view>

#include "tables/lookup.hpp"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

namespace berth::tables {

enum class MountOptionKind {
  Flag,        // sets or clears MS_* flags in mount(2)'s flags
  Propagation, // MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE, maybe with MS_REC
  Recursive,   // a MOUNT_ATTR_* set or cleared on the whole tree (mount_setattr)
  Idmap,       // "idmap" / "ridmap": an idmapped mount (mount_setattr MOUNT_ATTR_IDMAP)
  CopyUp,      // "tmpcopyup": fill a new tmpfs with what the rootfs had there
};

struct MountOptionInfo {
  std::string_view name;
  MountOptionKind kind;
  bool clear;          // the option removes flags/attributes instead of setting them
  unsigned long flags; // Flag, Propagation
  std::uint64_t attr;  // Recursive: MOUNT_ATTR_*
  bool recursive;      // Propagation, Idmap: applies to the whole tree
};

namespace detail {
constexpr MountOptionInfo flag(std::string_view n, unsigned long f, bool clear = false) {
  return {n, MountOptionKind::Flag, clear, f, 0, false};
}
constexpr MountOptionInfo propagation(std::string_view n, unsigned long f, bool rec) {
  return {n, MountOptionKind::Propagation, false, f, 0, rec};
}
constexpr MountOptionInfo recursive(std::string_view n, std::uint64_t attr, bool clear) {
  return {n, MountOptionKind::Recursive, clear, 0, attr, true};
}
} // namespace detail

inline constexpr std::array kMountOptions = {
    detail::flag("defaults", 0),
    detail::flag("ro", MS_RDONLY),
    detail::flag("rw", MS_RDONLY, true),
    detail::flag("suid", MS_NOSUID, true),
    detail::flag("nosuid", MS_NOSUID),
    detail::flag("dev", MS_NODEV, true),
    detail::flag("nodev", MS_NODEV),
    detail::flag("exec", MS_NOEXEC, true),
    detail::flag("noexec", MS_NOEXEC),
    detail::flag("sync", MS_SYNCHRONOUS),
    detail::flag("async", MS_SYNCHRONOUS, true),
    detail::flag("dirsync", MS_DIRSYNC),
    detail::flag("remount", MS_REMOUNT),
    detail::flag("mand", MS_MANDLOCK),
    detail::flag("nomand", MS_MANDLOCK, true),
    detail::flag("atime", MS_NOATIME, true),
    detail::flag("noatime", MS_NOATIME),
    detail::flag("diratime", MS_NODIRATIME, true),
    detail::flag("nodiratime", MS_NODIRATIME),
    detail::flag("relatime", MS_RELATIME),
    detail::flag("norelatime", MS_RELATIME, true),
    detail::flag("strictatime", MS_STRICTATIME),
    detail::flag("nostrictatime", MS_STRICTATIME, true),
    detail::flag("lazytime", MS_LAZYTIME),
    detail::flag("nolazytime", MS_LAZYTIME, true),
    detail::flag("iversion", MS_I_VERSION),
    detail::flag("noiversion", MS_I_VERSION, true),
    detail::flag("silent", MS_SILENT),
    detail::flag("loud", MS_SILENT, true),
    detail::flag("symfollow", MS_NOSYMFOLLOW, true),
    detail::flag("nosymfollow", MS_NOSYMFOLLOW),
    detail::flag("bind", MS_BIND),
    detail::flag("rbind", MS_BIND | MS_REC),

    detail::propagation("private", MS_PRIVATE, false),
    detail::propagation("rprivate", MS_PRIVATE, true),
    detail::propagation("shared", MS_SHARED, false),
    detail::propagation("rshared", MS_SHARED, true),
    detail::propagation("slave", MS_SLAVE, false),
    detail::propagation("rslave", MS_SLAVE, true),
    detail::propagation("unbindable", MS_UNBINDABLE, false),
    detail::propagation("runbindable", MS_UNBINDABLE, true),

    detail::recursive("rro", MOUNT_ATTR_RDONLY, false),
    detail::recursive("rrw", MOUNT_ATTR_RDONLY, true),
    detail::recursive("rnosuid", MOUNT_ATTR_NOSUID, false),
    detail::recursive("rsuid", MOUNT_ATTR_NOSUID, true),
    detail::recursive("rnodev", MOUNT_ATTR_NODEV, false),
    detail::recursive("rdev", MOUNT_ATTR_NODEV, true),
    detail::recursive("rnoexec", MOUNT_ATTR_NOEXEC, false),
    detail::recursive("rexec", MOUNT_ATTR_NOEXEC, true),
    detail::recursive("rnodiratime", MOUNT_ATTR_NODIRATIME, false),
    detail::recursive("rdiratime", MOUNT_ATTR_NODIRATIME, true),
    detail::recursive("rrelatime", MOUNT_ATTR_RELATIME, false),
    detail::recursive("rnorelatime", MOUNT_ATTR_RELATIME, true),
    detail::recursive("rnoatime", MOUNT_ATTR_NOATIME, false),
    detail::recursive("ratime", MOUNT_ATTR_NOATIME, true),
    detail::recursive("rstrictatime", MOUNT_ATTR_STRICTATIME, false),
    detail::recursive("rnostrictatime", MOUNT_ATTR_STRICTATIME, true),
    detail::recursive("rnosymfollow", MOUNT_ATTR_NOSYMFOLLOW, false),
    detail::recursive("rsymfollow", MOUNT_ATTR_NOSYMFOLLOW, true),

    MountOptionInfo{"idmap", MountOptionKind::Idmap, false, 0, MOUNT_ATTR_IDMAP, false},
    MountOptionInfo{"ridmap", MountOptionKind::Idmap, false, 0, MOUNT_ATTR_IDMAP, true},
    MountOptionInfo{"tmpcopyup", MountOptionKind::CopyUp, false, 0, 0, false},
};

inline const MountOptionInfo *find_mount_option(std::string_view name) {
  return find_by_name(kMountOptions, name);
}

// The propagation named by linux.rootfsPropagation, or nullptr when the name is
// not a propagation type.
inline const MountOptionInfo *find_propagation(std::string_view name) {
  const auto *option = find_mount_option(name);
  return option && option->kind == MountOptionKind::Propagation ? option : nullptr;
}

} // namespace berth::tables
