#include "cgroup/cgroup_path.hpp"

namespace berth::cgroup {

Result<std::string> normalize_cgroup_path(std::string_view path) {
  if (path.find('\0') != std::string_view::npos)
    return fail("cgroup path holds a NUL byte", EINVAL);
  std::string normal;
  while (!path.empty()) {
    auto slash = path.find('/');
    auto component = path.substr(0, slash);
    path.remove_prefix(slash == std::string_view::npos ? path.size() : slash + 1);
    if (component.empty() || component == ".")
      continue;
    if (component == "..")
      return fail("cgroup path must not contain \"..\"", EINVAL);
    normal += '/';
    normal += component;
  }
  return normal.empty() ? std::string("/") : normal;
}

namespace {

// berth's own cgroup as seen through the hierarchy's mount: /proc/self/cgroup
// names it from the hierarchy's root, the mount may show only a subtree.
Result<std::string> own_cgroup_in_mount(const Hierarchy &hierarchy) {
  BERTH_TRY_ASSIGN(auto own, normalize_cgroup_path(hierarchy.own_cgroup));
  std::string_view root = hierarchy.mount_root;
  while (root.size() > 1 && root.ends_with('/'))
    root.remove_suffix(1);
  if (root.empty() || root == "/")
    return own;
  if (!own.starts_with(root) || (own.size() > root.size() && own[root.size()] != '/'))
    return fail("berth's own cgroup " + own + " is not below " + hierarchy.mount_point, EINVAL);
  own.erase(0, root.size());
  return own.empty() ? std::string("/") : own;
}

} // namespace

Result<std::string> resolve_cgroup_path(const Hierarchy &hierarchy,
                                        const std::optional<std::string> &cgroups_path,
                                        std::string_view id) {
  // An empty cgroupsPath means none, as in runc.
  std::string requested = cgroups_path && !cgroups_path->empty() ? *cgroups_path : std::string(id);
  auto context = "cgroupsPath \"" + requested + "\"";
  BERTH_TRY_ASSIGN(auto normal, with_context(normalize_cgroup_path(requested), context));
  if (requested.starts_with('/')) {
    if (normal == "/")
      return fail(context + ": is the root of the cgroup hierarchy", EINVAL);
    return normal;
  }
  BERTH_TRY_ASSIGN(auto own, with_context(own_cgroup_in_mount(hierarchy), context));
  if (normal == "/")
    return fail(context + ": is berth's own cgroup", EINVAL);
  return own == "/" ? normal : own + normal;
}

std::vector<std::string> cgroup_path_levels(std::string_view path) {
  std::vector<std::string> levels;
  for (std::size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    auto level = path.substr(0, slash);
    if (level.size() > 1)
      levels.emplace_back(level);
    if (slash == std::string_view::npos)
      break;
  }
  return levels;
}

} // namespace berth::cgroup
