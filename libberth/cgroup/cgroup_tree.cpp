// Making and removing the directories of a container's cgroup, and the v2
// controller delegation down to it.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "cgroup/cgroup_files.hpp"
#include "cgroup/cgroup_path.hpp"
#include "cgroup/manager_impl.hpp"
#include "sys/log.hpp"

namespace berth::cgroup {
namespace {

bool contains(const std::vector<std::string> &list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string parent_dir(const CgroupDir &dir, std::string_view level) {
  return dir.hierarchy.mount_point + std::string(level.substr(0, level.rfind('/')));
}

// A new v1 cpuset cgroup starts with empty cpus and mems, and the kernel
// refuses to place a process in it (ENOSPC) until both are set.
Result<void> inherit_cpuset(const std::string &parent, const std::string &child) {
  for (std::string_view file : {"cpuset.cpus", "cpuset.mems"}) {
    BERTH_TRY_ASSIGN(auto own, read_cgroup_value(child, file));
    if (own && !own->empty())
      continue;
    BERTH_TRY_ASSIGN(auto inherited, read_cgroup_value(parent, file));
    if (inherited && !inherited->empty())
      BERTH_TRY(write_cgroup_file(child, file, *inherited));
  }
  return {};
}

// EBUSY from cgroup.subtree_control is v2's no-internal-process rule, which
// the bare errno does not explain.
std::string why_not_enabled(const std::string &path, int errno_value) {
  if (errno_value != EBUSY)
    return {};
  return ": " + path +
         " holds processes of its own, and cgroup v2 gives controllers only to the children " +
         "of a cgroup without processes (choose a linux.cgroupsPath outside it)";
}

// The container's processes may have made cgroups of their own below its
// cgroup (systemd in a container does); they go with it. Only directories
// are removed: rmdir(2) is how a cgroup is removed, files and all.
Result<void> remove_descendants(const std::string &path, int depth) {
  constexpr int kMaxDepth = 64;
  if (depth > kMaxDepth)
    return fail("remove cgroup " + path + ": nested deeper than " + std::to_string(kMaxDepth),
                ELOOP);
  auto children = list_cgroup_dir(path, true);
  if (!children)
    return children.error().errno_value() == ENOENT
               ? Result<void>()
               : fail(std::move(children).error().context("remove cgroup " + path));
  for (const auto &name : *children) {
    std::string child = path + "/" + name;
    BERTH_TRY(remove_descendants(child, depth + 1));
    if (::rmdir(child.c_str()) < 0 && errno != ENOENT)
      return fail_errno("remove cgroup " + child);
  }
  return {};
}

} // namespace

Result<void> create_levels(CgroupDir &dir) {
  bool cpuset = dir.hierarchy.version == Version::V1 && dir.hierarchy.owns("cpuset");
  for (const auto &level : cgroup_path_levels(dir.path)) {
    std::string full = dir.hierarchy.mount_point + level;
    if (::mkdir(full.c_str(), 0755) == 0) {
      dir.created.push_back(level);
      if (cpuset)
        BERTH_TRY_CTX(inherit_cpuset(parent_dir(dir, level), full), "create cgroup " + full);
      continue;
    }
    if (errno != EEXIST)
      return fail_errno("create cgroup " + full);
    // An interface file of the parent has the name too ("cgroup.procs").
    struct stat st {};
    if (::stat(full.c_str(), &st) < 0)
      return fail_errno("create cgroup " + full);
    if (!S_ISDIR(st.st_mode))
      return fail("create cgroup " + full + ": exists and is not a cgroup", ENOTDIR);
    // A level made by someone else with empty cpus or mems (a pod's parent,
    // made without cgroup.clone_children) takes them from its parent, filled
    // already on the way down, as runc does: else no process can join below.
    if (cpuset)
      BERTH_TRY_CTX(inherit_cpuset(parent_dir(dir, level), full), "fill cpuset of " + full);
  }
  return {};
}

Result<void> enable_controllers(const CgroupDir &dir, const std::vector<std::string> &needed) {
  if (!dir.v2())
    return {};
  auto levels = cgroup_path_levels(dir.path);
  levels.insert(levels.begin(), ""); // the hierarchy's root, at the mount point
  levels.pop_back();                 // the container's own cgroup enables nothing
  for (const auto &level : levels) {
    std::string path = dir.hierarchy.mount_point + level;
    BERTH_TRY_ASSIGN(auto available_text, read_cgroup_file(path, "cgroup.controllers"));
    BERTH_TRY_ASSIGN(auto enabled_text, read_cgroup_file(path, "cgroup.subtree_control"));
    auto available = split_controllers(available_text);
    auto enabled = split_controllers(enabled_text);
    // A cgroup berth did not create belongs to someone else (systemd, the
    // admin): berth changes it only as far as the container's limits need.
    std::vector<std::string> wanted = needed;
    if (contains(dir.created, level))
      for (const auto &controller : available)
        if (!contains(wanted, controller))
          wanted.push_back(controller);
    for (const auto &controller : wanted) {
      if (contains(enabled, controller))
        continue;
      bool required = contains(needed, controller);
      if (!contains(available, controller)) {
        if (required)
          return fail("cgroup controller " + controller + " is not available in " + path +
                          " (its parent does not enable it in cgroup.subtree_control)",
                      ENOENT);
        continue;
      }
      auto written = write_cgroup_file(path, "cgroup.subtree_control", "+" + controller);
      if (written)
        continue;
      int error = written.error().errno_value();
      if (required)
        return fail(Error::from_errno("enable cgroup controller " + controller + " in " + path +
                                          "/cgroup.subtree_control" + why_not_enabled(path, error),
                                      error));
      log::debug("cgroup controller " + controller + " not enabled in " + path + ": " +
                 written.error().message());
    }
  }
  return {};
}

Result<void> remove_levels(const CgroupDir &dir) {
  for (auto level = dir.created.rbegin(); level != dir.created.rend(); ++level) {
    std::string full = dir.hierarchy.mount_point + *level;
    bool leaf = *level == dir.path;
    if (leaf)
      BERTH_TRY(remove_descendants(full, 0));
    // The kernel may still hold a cgroup whose last process exited an
    // instant ago; a short wait outlasts that.
    for (int attempt = 0;; ++attempt) {
      if (::rmdir(full.c_str()) == 0 || errno == ENOENT)
        break;
      if ((errno == EBUSY || errno == ENOTEMPTY) && !leaf) {
        log::debug("cgroup " + full + " is kept: another cgroup lives in it");
        break;
      }
      if (errno != EBUSY || attempt >= 50)
        return fail_errno("remove cgroup " + full);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  return {};
}

} // namespace berth::cgroup
