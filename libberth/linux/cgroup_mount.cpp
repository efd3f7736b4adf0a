#include "linux/cgroup_mount.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "sys/log.hpp"
#include "sys/mountinfo.hpp"
#include "sys/syscalls.hpp"

namespace berth::linux {
namespace {

constexpr std::string_view kHostCgroupRoot = "/sys/fs/cgroup";

// One hierarchy of the host: its directory name under /sys/fs/cgroup and the
// options that select it ("cpu", "name=systemd"); cgroup2 has none.
struct Hierarchy {
  std::string name;
  bool v2 = false;
  std::vector<std::string> options;
  std::string host_path;
  std::string mount_root; // the cgroup the host's mount shows as its root
};

std::vector<std::string> hierarchy_options(std::string_view super_options) {
  std::vector<std::string> options;
  while (!super_options.empty()) {
    auto comma = super_options.find(',');
    std::string option(super_options.substr(0, comma));
    // rw/ro are the mount's, and release_agent may only be set from the initial
    // namespaces: neither selects the hierarchy.
    if (!option.empty() && option != "rw" && option != "ro" &&
        !option.starts_with("release_agent="))
      options.push_back(std::move(option));
    if (comma == std::string_view::npos)
      break;
    super_options.remove_prefix(comma + 1);
  }
  return options;
}

// The hierarchies mounted directly under the host's /sys/fs/cgroup, by name.
Result<std::vector<Hierarchy>> host_hierarchies() {
  BERTH_TRY_ASSIGN(auto mounts, sys::read_mountinfo());
  std::map<std::string, Hierarchy> by_name;
  const std::string prefix = std::string(kHostCgroupRoot) + "/";
  for (const auto &mount : mounts) {
    if (mount.fstype != "cgroup" && mount.fstype != "cgroup2")
      continue;
    if (!mount.mount_point.starts_with(prefix))
      continue;
    auto name = mount.mount_point.substr(prefix.size());
    if (name.empty() || name.find('/') != std::string::npos)
      continue;
    Hierarchy hierarchy{name, mount.fstype == "cgroup2", {}, mount.mount_point, mount.root};
    if (!hierarchy.v2)
      hierarchy.options = hierarchy_options(mount.super_options);
    by_name[name] = std::move(hierarchy);
  }
  std::vector<Hierarchy> hierarchies;
  for (auto &[name, hierarchy] : by_name)
    hierarchies.push_back(std::move(hierarchy));
  return hierarchies;
}

// One line of /proc/self/cgroup: "4:cpu,cpuacct:/path", "1:name=systemd:/path",
// or "0::/path" for cgroup2.
struct MembershipLine {
  std::vector<std::string> controllers; // empty for cgroup2
  std::string path;
};

Result<std::vector<MembershipLine>> own_memberships() {
  BERTH_TRY_ASSIGN(std::string text, sys::read_file("/proc/self/cgroup", 64 * 1024));
  std::vector<MembershipLine> lines;
  std::string_view rest = text;
  while (!rest.empty()) {
    auto newline = rest.find('\n');
    std::string_view line = rest.substr(0, newline);
    rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
    auto first = line.find(':');
    auto second = first == std::string_view::npos ? first : line.find(':', first + 1);
    if (second == std::string_view::npos)
      continue;
    lines.push_back({hierarchy_options(line.substr(first + 1, second - first - 1)),
                     std::string(line.substr(second + 1))});
  }
  return lines;
}

bool selects(const Hierarchy &hierarchy, const MembershipLine &line) {
  if (hierarchy.v2 || line.controllers.empty())
    return hierarchy.v2 && line.controllers.empty();
  for (const auto &controller : line.controllers)
    if (std::find(hierarchy.options.begin(), hierarchy.options.end(), controller) ==
        hierarchy.options.end())
      return false;
  return true;
}

// The host directory of the init's own cgroup in `hierarchy`: a container
// without a cgroup namespace sees this one, as with runc, and not the host's
// whole tree (a new mount there would show every cgroup of the host).
Result<std::string> own_cgroup_dir(const Hierarchy &hierarchy,
                                   const std::vector<MembershipLine> &memberships) {
  for (const auto &line : memberships) {
    if (!selects(hierarchy, line))
      continue;
    std::string_view path = line.path;
    // The host's mount may itself show a sub-tree (berth in a cgroup namespace).
    if (hierarchy.mount_root != "/") {
      if (!path.starts_with(hierarchy.mount_root))
        return fail("cgroup " + line.path + " is outside the host's mount of " + hierarchy.name);
      path.remove_prefix(hierarchy.mount_root.size());
    }
    return hierarchy.host_path + std::string(path == "/" ? "" : path);
  }
  return fail("the container is in no cgroup of hierarchy " + hierarchy.name);
}

bool refused(const Error &error) {
  return error.errno_value() == EPERM;
}

// The host's mount at `host_path`, bound with the plan's per-mount flags.
Result<UniqueFd> bind_host(const std::string &host_path, const MountPlan &plan, bool recursive) {
  BERTH_TRY_ASSIGN(UniqueFd source, sys::open_path(host_path, O_PATH | O_DIRECTORY));
  MountPlan bind_plan = plan;
  bind_plan.bind = true;
  bind_plan.recursive_bind = recursive;
  return create_bind(source.get(), bind_plan, true);
}

Result<UniqueFd> create_hierarchy(const Hierarchy &hierarchy, const MountPlan &plan,
                                  const MountContext &context,
                                  const std::vector<MembershipLine> &memberships) {
  if (!context.cgroup_namespace) {
    BERTH_TRY_ASSIGN(std::string own, own_cgroup_dir(hierarchy, memberships));
    return bind_host(own, plan, false);
  }
  MountPlan hierarchy_plan = plan;
  hierarchy_plan.data_options = hierarchy.options;
  auto created = create_filesystem(hierarchy.v2 ? "cgroup2" : "cgroup", "cgroup", hierarchy_plan);
  if (created || !context.user_namespace || !refused(created.error()))
    return created;
  log::debug("cgroup " + hierarchy.name + " cannot be mounted here: binding the host's");
  return bind_host(hierarchy.host_path, plan, false);
}

// A v1 or hybrid host, as runc mounts it: a tmpfs (source "tmpfs") that stays
// writable, as the directory of a read-only sysfs would be, holding one mount
// per v1 hierarchy, each with the config's flags ("ro" included, on the mount
// only: the hierarchy's superblock is shared with the host's). The hybrid
// host's cgroup2 ("unified") is left out, as runc leaves it: it is not where
// the container's limits are, and the v1 hierarchies are what a program on
// such a host reads.
Result<void> mount_hybrid(const MountPlan &plan, int target_fd, const MountContext &context) {
  BERTH_TRY_ASSIGN(auto all_hierarchies, host_hierarchies());
  BERTH_TRY_ASSIGN(auto memberships, own_memberships());
  std::vector<Hierarchy> hierarchies;
  for (auto &hierarchy : all_hierarchies)
    if (!hierarchy.v2)
      hierarchies.push_back(std::move(hierarchy));
  MountPlan hierarchy_plan = plan;
  hierarchy_plan.data_options.clear();

  MountPlan tmpfs_plan = plan;
  tmpfs_plan.flags &= ~MS_RDONLY;
  tmpfs_plan.data_options = {"mode=755"};
  BERTH_TRY_ASSIGN(UniqueFd tmpfs, create_filesystem("tmpfs", "tmpfs", tmpfs_plan));
  for (const auto &hierarchy : hierarchies) {
    if (::mkdirat(tmpfs.get(), hierarchy.name.c_str(), 0755) < 0)
      return fail_errno("mkdir " + hierarchy.name);
    // Co-mounted controllers ("cpu,cpuacct") are reachable by each name too.
    if (hierarchy.name.find(',') != std::string::npos) {
      for (const auto &alias : hierarchy_options(hierarchy.name))
        if (::symlinkat(hierarchy.name.c_str(), tmpfs.get(), alias.c_str()) < 0 && errno != EEXIST)
          return fail_errno("symlink " + alias);
    }
  }
  BERTH_TRY(sys::attach_mount(tmpfs.get(), target_fd));

  for (const auto &hierarchy : hierarchies) {
    BERTH_TRY_ASSIGN(UniqueFd dir,
                     sys::open_at(tmpfs.get(), hierarchy.name, O_PATH | O_DIRECTORY | O_NOFOLLOW));
    BERTH_TRY_ASSIGN(UniqueFd mounted,
                     with_context(create_hierarchy(hierarchy, hierarchy_plan, context, memberships),
                                  "cgroup " + hierarchy.name));
    BERTH_TRY_CTX(sys::attach_mount(mounted.get(), dir.get()), "cgroup " + hierarchy.name);
  }
  auto recursive = plan.recursive_attr_change();
  if (!recursive.empty())
    BERTH_TRY(sys::set_mount_attr(tmpfs.get(), recursive, true));
  for (const auto &change : plan.propagation) {
    sys::MountAttrChange propagation;
    propagation.propagation = change.type;
    BERTH_TRY_CTX(sys::set_mount_attr(tmpfs.get(), propagation, change.recursive), "propagation");
  }
  return {};
}

Result<void> mount_unified(const MountPlan &plan, int target_fd, const MountContext &context) {
  if (!context.cgroup_namespace) {
    BERTH_TRY_ASSIGN(auto memberships, own_memberships());
    Hierarchy unified{"", true, {}, std::string(kHostCgroupRoot), "/"};
    BERTH_TRY_ASSIGN(auto mounts, sys::read_mountinfo());
    for (const auto &mount : mounts)
      if (mount.mount_point == kHostCgroupRoot && mount.fstype == "cgroup2")
        unified.mount_root = mount.root;
    BERTH_TRY_ASSIGN(std::string own, own_cgroup_dir(unified, memberships));
    BERTH_TRY_ASSIGN(UniqueFd bound, bind_host(own, plan, false));
    return attach_with_propagation(bound.get(), target_fd, plan);
  }
  auto created = create_filesystem("cgroup2", "cgroup", plan);
  if (!created && context.user_namespace && refused(created.error())) {
    log::debug("cgroup2 cannot be mounted here: binding the host's");
    created = bind_host(std::string(kHostCgroupRoot), plan, true);
  }
  if (!created)
    return fail(std::move(created).error());
  auto recursive = plan.recursive_attr_change();
  if (!recursive.empty())
    BERTH_TRY(sys::set_mount_attr(created->get(), recursive, true));
  return attach_with_propagation(created->get(), target_fd, plan);
}

} // namespace

Result<void> mount_cgroup(const MountPlan &plan, int target_fd, const MountContext &context) {
  struct statfs st {};
  if (::statfs(std::string(kHostCgroupRoot).c_str(), &st) < 0)
    return fail_errno("statfs " + std::string(kHostCgroupRoot));
  if (st.f_type == CGROUP2_SUPER_MAGIC)
    return mount_unified(plan, target_fd, context);
  return mount_hybrid(plan, target_fd, context);
}

} // namespace berth::linux
