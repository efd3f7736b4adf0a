// The cgroup hierarchies mounted on this host, whatever their layout: pure v2
// (one unified hierarchy owning every controller), legacy v1 (one hierarchy per
// controller or group of them), or hybrid (v1 hierarchies plus a unified one
// that owns only what no v1 hierarchy took, like hugetlb on these hosts).
// Every controller is owned by exactly one hierarchy; berth writes a
// controller's files in the hierarchy that owns it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sys/error.hpp"

namespace berth::cgroup {

enum class Version { V1, V2 };

struct Hierarchy {
  Version version = Version::V2;
  std::string mount_point; // "/sys/fs/cgroup/memory", "/sys/fs/cgroup/unified"
  // The cgroup shown at mount_point: "/" for a mount of the whole hierarchy,
  // "/docker/x" where only a subtree is bound (a container without a cgroup
  // namespace of its own).
  std::string mount_root = "/";
  // "memory"; for v2, what cgroup.controllers lists at the mount point.
  std::vector<std::string> controllers;
  std::string name; // v1 named hierarchies ("systemd"), else empty
  // The cgroup of berth itself in this hierarchy ("/user.slice/..."), from
  // /proc/self/cgroup: relative cgroupsPath values are relative to it.
  std::string own_cgroup = "/";

  bool owns(std::string_view controller) const;
};

struct HostHierarchies {
  std::vector<Hierarchy> hierarchies;

  // The hierarchy that owns a controller (v1 first: on a hybrid host a
  // controller bound to v1 is not available on v2), or nullptr.
  const Hierarchy *owner_of(std::string_view controller) const;
  const Hierarchy *unified() const;
  // A unified hierarchy and no v1 hierarchy owning a controller (a named v1
  // hierarchy some hosts keep for old software does not count).
  bool is_pure_v2() const;
};

// The hierarchies described by the texts of /proc/self/mountinfo and
// /proc/self/cgroup. A v2 hierarchy's controllers are left empty: they come
// from its cgroup.controllers (see discover_hierarchies). Mounts hidden under
// a later mount, and hierarchies this process is not in, are left out.
Result<HostHierarchies> parse_hierarchies(std::string_view mountinfo, std::string_view self_cgroup);

// The words of a cgroup.controllers or cgroup.subtree_control file.
std::vector<std::string> split_controllers(std::string_view text);

// Reads /proc/self/mountinfo, /proc/self/cgroup and the v2 cgroup.controllers.
Result<HostHierarchies> discover_hierarchies();

} // namespace berth::cgroup
