// Where `exec` puts a new process: the container's cgroup in every hierarchy,
// or the sub-cgroups `exec --cgroup` names (runc's flag: a path for every
// hierarchy, or "controller[,controller]:path" for the hierarchy of each).
#include <fcntl.h>
#include <sys/stat.h>

#include <set>

#include "cgroup/cgroup_path.hpp"
#include "cgroup/manager_impl.hpp"
#include "sys/syscalls.hpp"

namespace berth::cgroup {
namespace {

// The sub-path that applies to one hierarchy: the one of a controller it owns,
// else the "" one, else none (the container's cgroup itself).
Result<const std::string *> sub_path_for(const Hierarchy &hierarchy,
                                         const std::map<std::string, std::string> &sub_paths,
                                         std::set<std::string> &matched) {
  const std::string *chosen = nullptr;
  for (const auto &[controller, path] : sub_paths) {
    if (controller.empty() || !hierarchy.owns(controller))
      continue;
    // Controllers that share a v1 hierarchy share its cgroups too.
    if (chosen && *chosen != path)
      return fail("controllers of the hierarchy at " + hierarchy.mount_point +
                      " are given different cgroups",
                  EINVAL);
    chosen = &path;
    matched.insert(controller);
  }
  if (!chosen)
    if (auto all = sub_paths.find(""); all != sub_paths.end())
      chosen = &all->second;
  return chosen;
}

} // namespace

Result<Manager> Manager::for_exec(const std::map<std::string, std::string> &sub_paths) const {
  Manager placement;
  placement.impl_ = std::make_unique<Impl>();
  auto &dirs = placement.impl_->cgroups.dirs;
  std::set<std::string> matched;
  for (const auto &dir : impl_->cgroups.dirs) {
    CgroupDir target = dir;
    target.created.clear(); // nothing here is exec's to remove
    BERTH_TRY_ASSIGN(const std::string *sub, sub_path_for(dir.hierarchy, sub_paths, matched));
    if (sub) {
      // Always below the container's cgroup: an absolute path starts there
      // too, and ".." is refused, so no path leaves it.
      BERTH_TRY_ASSIGN(std::string relative,
                       with_context(normalize_cgroup_path("/" + *sub), "cgroup " + *sub));
      if (relative != "/")
        target.path += relative;
      struct stat st {};
      if (::stat(target.dir().c_str(), &st) < 0)
        return fail_errno("cgroup " + target.dir());
      if (!S_ISDIR(st.st_mode))
        return fail("cgroup " + target.dir() + " is not a directory", ENOTDIR);
    }
    dirs.push_back(std::move(target));
  }
  for (const auto &[controller, path] : sub_paths)
    if (!controller.empty() && !matched.contains(controller))
      return fail("no cgroup hierarchy of the container has the " + controller + " controller",
                  EINVAL);
  // As for create: clone3 places a process in one cgroup only.
  if (dirs.size() == 1 && dirs.front().v2()) {
    BERTH_TRY_ASSIGN(placement.impl_->clone_fd,
                     sys::open_path(dirs.front().dir(), O_PATH | O_DIRECTORY));
  }
  return placement;
}

} // namespace berth::cgroup
