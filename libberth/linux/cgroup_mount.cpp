#include "linux/cgroup_mount.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <map>

#include "linux/mountinfo.hpp"
#include "sys/log.hpp"
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
  BERTH_TRY_ASSIGN(auto mounts, read_mountinfo());
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
    Hierarchy hierarchy{name, mount.fstype == "cgroup2", {}, mount.mount_point};
    if (!hierarchy.v2)
      hierarchy.options = hierarchy_options(mount.super_options);
    by_name[name] = std::move(hierarchy);
  }
  std::vector<Hierarchy> hierarchies;
  for (auto &[name, hierarchy] : by_name)
    hierarchies.push_back(std::move(hierarchy));
  return hierarchies;
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
                                  const MountContext &context) {
  MountPlan hierarchy_plan = plan;
  hierarchy_plan.data_options = hierarchy.options;
  auto created = create_filesystem(hierarchy.v2 ? "cgroup2" : "cgroup", "cgroup", hierarchy_plan);
  if (created || !context.user_namespace || !refused(created.error()))
    return created;
  log::debug("cgroup " + hierarchy.name + " cannot be mounted here: binding the host's");
  return bind_host(hierarchy.host_path, plan, false);
}

Result<void> mount_hybrid(const MountPlan &plan, int target_fd, const MountContext &context) {
  BERTH_TRY_ASSIGN(auto hierarchies, host_hierarchies());
  // The tree is read-only only once every hierarchy is in place.
  MountPlan writable = plan;
  writable.flags &= ~MS_RDONLY;
  writable.data_options.clear();

  MountPlan tmpfs_plan = writable;
  tmpfs_plan.data_options = {"mode=755"};
  BERTH_TRY_ASSIGN(UniqueFd tmpfs, create_filesystem("tmpfs", "cgroup", tmpfs_plan));
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
    BERTH_TRY_ASSIGN(UniqueFd mounted, with_context(create_hierarchy(hierarchy, writable, context),
                                                    "cgroup " + hierarchy.name));
    BERTH_TRY_CTX(sys::attach_mount(mounted.get(), dir.get()), "cgroup " + hierarchy.name);
  }
  if (plan.flags & MS_RDONLY) {
    sys::MountAttrChange read_only;
    read_only.set = MOUNT_ATTR_RDONLY;
    BERTH_TRY_CTX(sys::set_mount_attr(tmpfs.get(), read_only, true), "read-only");
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
