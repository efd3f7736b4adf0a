// The state behind Manager, shared by the files that implement it
// (manager.cpp, cgroup_tree.cpp, apply.cpp, freezer.cpp, processes.cpp,
// stats*.cpp). Internal to the cgroup layer.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cgroup/hierarchy.hpp"
#include "cgroup/manager.hpp"
#include "cgroup/resources.hpp"
#include "cgroup/systemd/systemd_dbus.hpp"
#include "spec/config.hpp"
#include "sys/unique_fd.hpp"

namespace berth::cgroup {

// The container's cgroup in one hierarchy.
struct CgroupDir {
  Hierarchy hierarchy;
  std::string path; // below hierarchy.mount_point: "/berth/c1"
  // The levels of `path` that create() made, shallowest first: only these
  // are ever removed.
  std::vector<std::string> created;

  bool v2() const { return hierarchy.version == Version::V2; }
  std::string dir() const { return hierarchy.mount_point + path; }
};

// The container's directories in all the hierarchies that matter.
struct CgroupSet {
  std::vector<CgroupDir> dirs;

  // The directory in the hierarchy that owns a controller (v1 first).
  const CgroupDir *owner_of(std::string_view controller) const;
  const CgroupDir *unified() const;
  // Where processes are listed from: the hierarchy of the pids controller
  // when there is one, else the unified one, else the first.
  const CgroupDir *listing() const;
  // The version whose files express a controller here, for plan_resources:
  // "devices" is v2 (an eBPF program) when no v1 hierarchy has it and there
  // is a unified one; "cgroup" (v2's core files) is v2 when there is one.
  ControllerVersion versions() const;
};

struct Manager::Impl {
  CgroupSet cgroups;
  // The config's resources, for the controllers create() must enable on v2.
  std::optional<spec::Resources> resources;
  // For clone3's CLONE_INTO_CGROUP, when the unified hierarchy is the only one.
  UniqueFd clone_fd;
  // --systemd-cgroup: the scope, and whether StartTransientUnit was sent (so
  // that destroy() must stop it).
  std::optional<systemd::SystemdCgroupsPath> systemd_scope;
  std::string container_id;
  bool scope_requested = false;
};

// Creates the levels of dir.path that do not exist (recording them in
// dir.created); v1 cpuset: copies cpus and mems into each level it creates.
Result<void> create_levels(CgroupDir &dir);
// v2: enables `needed` in every ancestor's cgroup.subtree_control, from the
// hierarchy's root down, where it is not enabled yet; in an ancestor berth
// created, every controller available there. A needed controller that cannot
// be enabled is an error that says why.
Result<void> enable_controllers(const CgroupDir &dir, const std::vector<std::string> &needed);
// The controllers of `writes` that the unified hierarchy owns (v2 core files
// need none): what enable_controllers must enable for them.
std::vector<std::string> v2_controllers(const CgroupSet &cgroups,
                                        const std::vector<FileWrite> &writes);
// Removes dir.created, deepest first, and with the container's cgroup the
// cgroups its processes made below it. Missing directories are fine; an
// ancestor another cgroup still lives in is left alone.
Result<void> remove_levels(const CgroupDir &dir);

// Every process in the container's cgroup in any hierarchy, sorted, each once;
// a directory that does not exist (any more) holds none.
Result<std::vector<pid_t>> all_pids(const CgroupSet &cgroups);
// Sends `signal` to those of `pids` that `list` still shows once each has a
// pidfd: a pid whose process exited and whose number was reused outside the
// cgroup in between is not signalled.
Result<void> signal_listed(const std::vector<pid_t> &pids, int signal,
                           const std::function<Result<std::vector<pid_t>>()> &list);

} // namespace berth::cgroup
