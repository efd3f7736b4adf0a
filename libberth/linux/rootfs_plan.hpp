// The container's filesystem setup as data: every step prepare_rootfs and
// finalize_rootfs (rootfs.hpp) take, in order, computed from config.json and
// the runtime's options without a syscall, so that it can be checked without
// root (tests/unit/test_rootfs_plan.cpp). rootfs.cpp performs the plan; like
// the cgroup resources (cgroup/resources_plan.cpp), deciding and doing are apart.
//
// What only the host or the kernel can tell stays with the performer, and the
// steps say where: whether a bind's source is a file or a directory, the
// host's cgroup layout, whether a filesystem may be mounted in this user
// namespace (sysfs, cgroup fall back to the host's), whether SELinux is on,
// whether a devpts is at /dev/pts, what mode a tmpfs' directory already has.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "linux/mount_options.hpp"
#include "spec/config.hpp"
#include "sys/error.hpp"

namespace berth::linux {

// The options of the runtime (not of config.json) that change the plan.
struct RootfsPlanOptions {
  bool no_pivot = false;           // --no-pivot
  bool shares_host_mounts = false; // no mount namespace in the config
};

// ---- Phase 1, prepare_rootfs ----

// Before anything is mounted: the propagation of "/" and every mount below it
// as this namespace sees them (mount(2) flags, MS_REC included): rslave by
// default, so that nothing done here travels back to the host.
struct SetTreePropagation {
  unsigned long flags = 0;
};

// The rootfs bound onto itself with what is below it: the root every later
// lookup is confined to. In the host's namespace the bind is made private
// instead, and the rootfs' parent mount keeps its propagation.
struct BindRootfs {
  bool private_in_host_namespace = false;
};

enum class MountKind {
  Bind,         // a bind of the host path `source` (recursive: options.recursive_bind)
  IdmappedBind, // the idmapped tree berth built on the host's side, attached
  Filesystem,   // a new filesystem of `fstype` from `source` with options.data_options
  Cgroup,       // type "cgroup": cgroup2, or a tmpfs of the v1 hierarchies, as the host is
};

// Where a mount goes: a directory, or what its source is (a bind of a file
// goes on a file); made inside the rootfs when missing.
enum class TargetKind { Directory, LikeSource };

// One entry of config.mounts.
struct MountStep {
  std::size_t index = 0; // in config.mounts
  std::string destination;
  MountKind kind = MountKind::Bind;
  std::string fstype; // Filesystem and Cgroup; empty for binds
  std::string source; // Bind: the host path; Filesystem: fsconfig's "source" (the type if none)
  // The options folded (mount_options.hpp): flags, access time, data, recursive
  // attributes, propagation. A /dev that ends read-only is mounted writable
  // here, to be filled, and made read-only by MakeDevReadonly.
  MountPlan options;
  TargetKind target = TargetKind::Directory;
  bool no_symlinks = false;         // proc and sysfs: no symlink on the way to the destination
  bool readonly_superblock = false; // a read-only sysfs, as mount(2) with MS_RDONLY makes it
  bool inherit_mode = false; // a tmpfs without mode=: takes the mode of the directory it covers
  // linux.mountLabel as the new filesystem's context= (where the host has SELinux
  // and the type takes one); for mqueue, which refuses context=, its root
  // directory is labeled instead, and only in a new IPC namespace of its own.
  std::optional<std::string> selinux_label;
  bool label_root = false;
  std::string what; // "mount proc on /proc", the context of its errors
};

// One device node: the spec's default devices first, then linux.devices (which
// may replace one of them). Where mknod is refused (a user namespace) the
// host's node is bound instead, or one berth makes on the host's side.
struct DeviceStep {
  std::optional<std::size_t> index; // in linux.devices; none for a default device
  std::string path;
  mode_t mode = 0; // the file type and the permission bits
  dev_t rdev = 0;
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  std::string what; // "create device /dev/null", "/linux/devices/0: create device ..."
};

// A symlink in /dev. /dev/ptmx -> pts/ptmx replaces what is there, and only
// where a devpts is mounted at /dev/pts (the kernel tells).
struct DevSymlinkStep {
  std::string name; // below /dev
  std::string target;
  bool only_over_devpts = false;
};

// The moment of the createRuntime and createContainer hooks (RootfsOptions::before_pivot).
struct BeforePivot {};

enum class RootSwitch {
  Pivot,         // pivot_root, the old root detached
  MoveAndChroot, // --no-pivot: MS_MOVE onto "/" and chroot
  Chroot,        // no mount namespace: chroot only, the host's "/" stays as it is
};
struct SwitchRoot {
  RootSwitch how = RootSwitch::Pivot;
};

// After the switch: linux.rootfsPropagation on the new "/".
struct SetRootPropagation {
  unsigned long flags = 0;
};

using PrepareStep = std::variant<SetTreePropagation, BindRootfs, MountStep, DeviceStep,
                                 DevSymlinkStep, BeforePivot, SwitchRoot, SetRootPropagation>;

// ---- Phase 2, finalize_rootfs (after sysctl, which needs /proc/sys writable) ----

struct MakeDevReadonly {}; // the last /dev entry of config.mounts asked for "ro"
struct MakePathsReadonly { // linux.readonlyPaths, in order
  std::vector<std::string> paths;
};
struct MaskPaths { // linux.maskedPaths, in order
  std::vector<std::string> paths;
};
struct MakeRootReadonly {}; // root.readonly

using FinalizeStep = std::variant<MakeDevReadonly, MakePathsReadonly, MaskPaths, MakeRootReadonly>;

struct RootfsPlan {
  bool user_namespace = false;   // a user namespace of the container's own
  bool cgroup_namespace = false; // a cgroup namespace, new or joined
  std::vector<PrepareStep> prepare;
  std::vector<FinalizeStep> finalize;
};

// The whole plan. Fails on what config.json cannot mean, naming the entry
// ("mount tmpfs on /x: ...", "/linux/devices/2: create device ...").
Result<RootfsPlan> plan_rootfs(const spec::Config &config, const RootfsPlanOptions &options);

// The plan of one config.mounts entry.
Result<MountStep> plan_mount_step(const spec::Config &config, std::size_t index);

// A config.mounts entry at /dev that asks for "ro" (mounted writable, made
// read-only by MakeDevReadonly when it is the last /dev entry).
bool is_readonly_dev(const spec::Mount &mount);

// The finalize phase alone (it depends on config.json only).
std::vector<FinalizeStep> plan_finalize(const spec::Config &config);

} // namespace berth::linux
