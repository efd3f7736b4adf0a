// A mount's options (config.json "options") turned into what the kernel calls
// need: per-mount attributes, superblock flags, filesystem data, propagation
// changes, recursive attributes and the bind / idmap / tmpcopyup requests. The
// option names come from tables/mount_options.hpp; this file only folds them,
// in order, into a MountPlan.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "spec/config.hpp"
#include "sys/mount_api.hpp"

namespace berth::linux {

struct PropagationChange {
  unsigned long type = 0; // MS_SHARED, MS_SLAVE, MS_PRIVATE or MS_UNBINDABLE
  bool recursive = false;
  bool operator==(const PropagationChange &) const = default;
};

struct MountPlan {
  // mount(2) flags the options set and the ones they explicitly cleared ("rw",
  // "suid", ...); a later option undoes an earlier one. MS_BIND and MS_REC are
  // not kept here: see bind and recursive_bind.
  unsigned long flags = 0;
  unsigned long cleared = 0;
  // The access-time mode of the mount, MOUNT_ATTR_RELATIME/NOATIME/STRICTATIME,
  // when an option chose one (the last one wins).
  std::optional<std::uint64_t> atime;
  // Options no table knows, in order: filesystem data ("size=64k", "mode=755").
  std::vector<std::string> data_options;
  // Propagation options in the order given.
  std::vector<PropagationChange> propagation;
  // Recursive attributes ("rro", "rnosuid", ...), MOUNT_ATTR_* bits, and the
  // recursive access-time mode.
  std::uint64_t recursive_set = 0;
  std::uint64_t recursive_clear = 0;
  std::optional<std::uint64_t> recursive_atime;

  bool bind = false;            // "bind", "rbind" or type "bind"
  bool recursive_bind = false;  // "rbind"
  bool idmap = false;           // "idmap", "ridmap", or (plan_mount) uidMappings/gidMappings
  bool recursive_idmap = false; // "ridmap", or mappings on an "rbind" without either option
  bool tmpcopyup = false;

  // The filesystem data string mount(2) would take: data_options joined by ",".
  std::string data() const;
  // MOUNT_ATTR_* for fsmount(2) of a new filesystem.
  unsigned fsmount_attrs() const;
  // The change of the top mount's attributes (the remount a bind needs for "ro",
  // "nosuid", ...): bits set and bits explicitly cleared.
  sys::MountAttrChange top_attr_change() const;
  // The change the recursive options make on the whole tree.
  sys::MountAttrChange recursive_attr_change() const;
  // The superblock flags among the options, as fsconfig(2) flag names ("sync",
  // "dirsync", "lazytime", "mand"). A bind mount ignores them: they would change
  // the source's superblock.
  std::vector<std::string> superblock_flags() const;
  // Flags that neither a mount attribute nor fsconfig can express
  // (MS_SILENT, MS_I_VERSION, MS_REMOUNT): ignored, reported by the caller.
  unsigned long unsupported_flags() const;
};

// Folds the options in order.
MountPlan plan_mount_options(std::span<const std::string> options);

// plan_mount_options plus what the mount's type implies (type "bind" is a bind).
MountPlan plan_mount(const spec::Mount &mount);

} // namespace berth::linux
