// The cgroup hierarchies mounted on this host, whatever their layout: pure v2
// (one unified hierarchy owning every controller), legacy v1 (one hierarchy per
// controller or group of them), or hybrid (v1 hierarchies plus a unified one
// that owns only what no v1 hierarchy took, like hugetlb on these hosts).
// Every controller is owned by exactly one hierarchy; berth writes a
// controller's files in the hierarchy that owns it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sys/error.hpp"

namespace berth::cgroup {

enum class Version { V1, V2 };

struct Hierarchy {
  Version version = Version::V2;
  std::string mount_point;              // "/sys/fs/cgroup/memory", "/sys/fs/cgroup/unified"
  std::vector<std::string> controllers; // "memory"; for v2, what cgroup.controllers lists at its root
  std::string name;                     // v1 named hierarchies ("systemd"), else empty
  // The cgroup of berth itself in this hierarchy ("/user.slice/..."), from
  // /proc/self/cgroup: relative cgroupsPath values are relative to it.
  std::string own_cgroup;

  bool owns(std::string_view controller) const;
};

struct HostHierarchies {
  std::vector<Hierarchy> hierarchies;

  // The hierarchy that owns a controller (v1 first: on a hybrid host a
  // controller bound to v1 is not available on v2), or nullptr.
  const Hierarchy *owner_of(std::string_view controller) const;
  const Hierarchy *unified() const;
  bool is_pure_v2() const;
};

// Reads /proc/self/mountinfo and /proc/self/cgroup.
Result<HostHierarchies> discover_hierarchies();

} // namespace berth::cgroup
