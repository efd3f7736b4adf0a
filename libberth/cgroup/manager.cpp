// Manager: which hierarchies a container's cgroup spans, where it lives in
// each, its creation and removal, and its record in state.json.
#include "cgroup/manager.hpp"

#include <fcntl.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "cgroup/cgroup_files.hpp"
#include "cgroup/cgroup_path.hpp"
#include "cgroup/manager_impl.hpp"
#include "cgroup/resources.hpp"
#include "cgroup/systemd/systemd_scope.hpp"
#include "sys/log.hpp"
#include "sys/syscalls.hpp"

namespace berth::cgroup {
namespace {

// Hierarchies a container takes part in: every one with a controller, and
// the named name=systemd one (runc's choice too), which holds processes so
// that tools reading it find them. Other named hierarchies belong to
// whoever mounted them.
bool takes_part(const Hierarchy &hierarchy) {
  return hierarchy.version == Version::V2 || !hierarchy.controllers.empty() ||
         hierarchy.name == "systemd";
}

// Undoes a create() that failed halfway.
class CreateRollback {
public:
  explicit CreateRollback(CgroupSet &cgroups) : cgroups_(&cgroups) {}
  CreateRollback(const CreateRollback &) = delete;
  CreateRollback &operator=(const CreateRollback &) = delete;
  ~CreateRollback() {
    if (!cgroups_)
      return;
    for (auto &dir : cgroups_->dirs) {
      (void)remove_levels(dir);
      dir.created.clear();
    }
  }
  void release() { cgroups_ = nullptr; }

private:
  CgroupSet *cgroups_;
};

// The v2 controllers a container's resources write files of.
Result<std::vector<std::string>> needed_v2_controllers(const CgroupSet &cgroups,
                                                       const spec::Resources &resources) {
  BERTH_TRY_ASSIGN(auto plan, plan_resources(resources, cgroups.versions()));
  return v2_controllers(cgroups, plan.writes);
}

json::Value string_array(const std::vector<std::string> &items) {
  auto array = json::Value::array();
  for (const auto &item : items)
    array.push_back(json::Value::string(item));
  return array;
}

Result<std::vector<std::string>> read_string_array(const json::Value *value,
                                                   std::string_view what) {
  std::vector<std::string> items;
  if (!value)
    return items;
  if (!value->is_array())
    return fail(std::string(what) + " is not an array", EINVAL);
  for (const auto &item : value->items()) {
    if (!item.is_string())
      return fail(std::string(what) + " holds a non-string", EINVAL);
    items.push_back(item.text());
  }
  return items;
}

Result<std::string> read_string(const json::Value &object, std::string_view key) {
  const json::Value *value = object.find(key);
  if (!value || !value->is_string())
    return fail(std::string(key) + " is missing or not a string", EINVAL);
  return value->text();
}

// A recorded path must still be what resolve_cgroup_path could have made:
// state.json is berth's, but a path it names is removed on delete.
Result<CgroupDir> dir_from_description(const json::Value &entry) {
  if (!entry.is_object())
    return fail("a hierarchy is not an object", EINVAL);
  CgroupDir dir;
  const json::Value *version = entry.find("version");
  auto number = version ? version->to_uint64() : std::nullopt;
  if (!number || (*number != 1 && *number != 2))
    return fail("\"version\" is not 1 or 2", EINVAL);
  dir.hierarchy.version = *number == 1 ? Version::V1 : Version::V2;
  BERTH_TRY_ASSIGN(dir.hierarchy.mount_point, read_string(entry, "mount_point"));
  BERTH_TRY_ASSIGN(dir.path, read_string(entry, "path"));
  if (const json::Value *name = entry.find("name"); name && name->is_string())
    dir.hierarchy.name = name->text();
  BERTH_TRY_ASSIGN(dir.hierarchy.controllers,
                   read_string_array(entry.find("controllers"), "\"controllers\""));
  BERTH_TRY_ASSIGN(dir.created, read_string_array(entry.find("created"), "\"created\""));
  BERTH_TRY_ASSIGN(auto mount, normalize_cgroup_path(dir.hierarchy.mount_point));
  BERTH_TRY_ASSIGN(auto path, normalize_cgroup_path(dir.path));
  if (!dir.hierarchy.mount_point.starts_with('/') || mount != dir.hierarchy.mount_point ||
      path != dir.path || path == "/")
    return fail("\"" + dir.hierarchy.mount_point + "\" + \"" + dir.path +
                    "\" is not a container's cgroup",
                EINVAL);
  auto levels = cgroup_path_levels(dir.path);
  for (const auto &created : dir.created)
    if (std::find(levels.begin(), levels.end(), created) == levels.end())
      return fail("created \"" + created + "\" is not a level of \"" + dir.path + "\"", EINVAL);
  return dir;
}

json::Value describe_scope(const systemd::SystemdCgroupsPath &scope) {
  auto entry = json::Value::object();
  entry.set("slice", json::Value::string(scope.slice));
  entry.set("prefix", json::Value::string(scope.prefix));
  entry.set("name", json::Value::string(scope.name));
  entry.set("unit", json::Value::string(scope.unit())); // for people reading state.json
  return entry;
}

// The scope as describe_scope() recorded it, checked again as a cgroupsPath:
// `delete` stops the unit it names.
Result<systemd::SystemdCgroupsPath> scope_from_description(const json::Value &entry) {
  if (!entry.is_object())
    return fail("\"systemd\" is not an object", EINVAL);
  BERTH_TRY_ASSIGN(auto slice, read_string(entry, "slice"));
  BERTH_TRY_ASSIGN(auto prefix, read_string(entry, "prefix"));
  BERTH_TRY_ASSIGN(auto name, read_string(entry, "name"));
  auto parsed = systemd::parse_systemd_cgroups_path(slice + ":" + prefix + ":" + name, name);
  if (!parsed)
    return fail("\"systemd\" does not name a valid scope: " + parsed.error().message(), EINVAL);
  return parsed;
}

} // namespace

const CgroupDir *CgroupSet::owner_of(std::string_view controller) const {
  for (const auto &dir : dirs)
    if (!dir.v2() && dir.hierarchy.owns(controller))
      return &dir;
  for (const auto &dir : dirs)
    if (dir.v2() && dir.hierarchy.owns(controller))
      return &dir;
  return nullptr;
}

const CgroupDir *CgroupSet::unified() const {
  for (const auto &dir : dirs)
    if (dir.v2())
      return &dir;
  return nullptr;
}

const CgroupDir *CgroupSet::listing() const {
  if (const auto *pids = owner_of("pids"))
    return pids;
  if (const auto *v2 = unified())
    return v2;
  return dirs.empty() ? nullptr : &dirs.front();
}

ControllerVersion CgroupSet::versions() const {
  return [this](std::string_view controller) -> std::optional<Version> {
    const CgroupDir *v2 = unified();
    if (controller == "cgroup")
      return v2 ? std::optional(Version::V2) : std::nullopt;
    if (const CgroupDir *owner = owner_of(controller))
      return owner->hierarchy.version;
    // No v1 devices hierarchy: on v2 the device rules are an eBPF program.
    if (controller == "devices" && v2)
      return Version::V2;
    return std::nullopt;
  };
}

Manager::Manager(Manager &&) noexcept = default;
Manager &Manager::operator=(Manager &&) noexcept = default;
Manager::~Manager() = default;

Result<Manager> Manager::for_container(const spec::Config &config, const std::string &id) {
  BERTH_TRY_ASSIGN(auto host, discover_hierarchies());
  return for_container(host, config, id);
}

Result<Manager> Manager::for_container(const HostHierarchies &host, const spec::Config &config,
                                       const std::string &id) {
  Manager manager;
  manager.impl_ = std::make_unique<Impl>();
  std::optional<std::string> cgroups_path;
  if (config.linux) {
    cgroups_path = config.linux->cgroups_path;
    manager.impl_->resources = config.linux->resources;
  }
  for (const auto &hierarchy : host.hierarchies) {
    if (!takes_part(hierarchy))
      continue;
    CgroupDir dir;
    dir.hierarchy = hierarchy;
    BERTH_TRY_ASSIGN(dir.path, with_context(resolve_cgroup_path(hierarchy, cgroups_path, id),
                                            "cgroup in " + hierarchy.mount_point));
    manager.impl_->cgroups.dirs.push_back(std::move(dir));
  }
  if (manager.impl_->cgroups.dirs.empty())
    return fail("no cgroup hierarchy is mounted", ENOENT);
  return manager;
}

Result<Manager> Manager::for_systemd_scope(const spec::Config &config, const std::string &id) {
  std::optional<std::string> cgroups_path;
  if (config.linux)
    cgroups_path = config.linux->cgroups_path;
  BERTH_TRY_ASSIGN(auto scope, systemd::parse_systemd_cgroups_path(cgroups_path, id));
  // The scope's cgroup, from each hierarchy's root, where systemd puts it.
  spec::Config placed = config;
  if (!placed.linux)
    placed.linux.emplace();
  placed.linux->cgroups_path = scope.cgroup_path();
  BERTH_TRY_ASSIGN(auto host, discover_hierarchies());
  BERTH_TRY_ASSIGN(Manager manager, for_container(host, placed, id));
  manager.impl_->systemd_scope = std::move(scope);
  manager.impl_->container_id = id;
  return manager;
}

bool Manager::systemd_managed() const {
  return impl_->systemd_scope.has_value();
}

Result<void> Manager::place_in_systemd_scope(pid_t pid, const spec::Resources *resources) {
  if (!impl_->systemd_scope)
    return fail("place_in_systemd_scope: the cgroup is not a systemd scope", EINVAL);
  auto scope = systemd::transient_scope(*impl_->systemd_scope, impl_->container_id, pid,
                                        impl_->resources ? &*impl_->resources : nullptr);
  // From here on the scope may exist, even when the call fails (a timeout
  // after systemd got it): destroy() stops it.
  impl_->scope_requested = true;
  BERTH_TRY(systemd::start_scope(scope));
  // systemd made the scope's directories in the hierarchies it manages, and
  // moved `pid` there; berth does the rest as for any cgroup.
  BERTH_TRY(create());
  BERTH_TRY_CTX(add_process(pid), "move the init into its cgroup");
  if (resources)
    BERTH_TRY_CTX(apply(*resources), "apply linux.resources");
  return {};
}

Result<Manager> Manager::from_description(const json::Value &description) {
  Manager manager;
  manager.impl_ = std::make_unique<Impl>();
  const json::Value *hierarchies =
      description.is_object() ? description.find("hierarchies") : nullptr;
  if (!hierarchies || !hierarchies->is_array() || hierarchies->items().empty())
    return fail("cgroup description: \"hierarchies\" is missing or empty", EINVAL);
  for (const auto &entry : hierarchies->items()) {
    BERTH_TRY_ASSIGN(auto dir, with_context(dir_from_description(entry), "cgroup description"));
    manager.impl_->cgroups.dirs.push_back(std::move(dir));
  }
  if (const json::Value *scope = description.find("systemd")) {
    BERTH_TRY_ASSIGN(manager.impl_->systemd_scope,
                     with_context(scope_from_description(*scope), "cgroup description"));
    manager.impl_->scope_requested = true;
  }
  return manager;
}

json::Value Manager::describe() const {
  auto hierarchies = json::Value::array();
  for (const auto &dir : impl_->cgroups.dirs) {
    auto entry = json::Value::object();
    entry.set("version", json::Value::number(std::uint64_t{dir.v2() ? 2u : 1u}));
    entry.set("mount_point", json::Value::string(dir.hierarchy.mount_point));
    entry.set("controllers", string_array(dir.hierarchy.controllers));
    if (!dir.hierarchy.name.empty())
      entry.set("name", json::Value::string(dir.hierarchy.name));
    entry.set("path", json::Value::string(dir.path));
    entry.set("created", string_array(dir.created));
    hierarchies.push_back(std::move(entry));
  }
  auto description = json::Value::object();
  description.set("hierarchies", std::move(hierarchies));
  if (impl_->systemd_scope)
    description.set("systemd", describe_scope(*impl_->systemd_scope));
  return description;
}

Result<void> Manager::create() {
  auto &cgroups = impl_->cgroups;
  CreateRollback rollback(cgroups);
  for (auto &dir : cgroups.dirs)
    BERTH_TRY(create_levels(dir));
  if (const CgroupDir *unified = cgroups.unified()) {
    std::vector<std::string> needed;
    if (impl_->resources) {
      BERTH_TRY_ASSIGN(needed, with_context(needed_v2_controllers(cgroups, *impl_->resources),
                                            "linux.resources"));
    }
    BERTH_TRY(enable_controllers(*unified, needed));
    // clone3 places the init in one cgroup only: that is enough only when
    // the unified hierarchy is the container's only one.
    if (cgroups.dirs.size() == 1) {
      BERTH_TRY_ASSIGN(impl_->clone_fd, sys::open_path(unified->dir(), O_PATH | O_DIRECTORY));
    }
  }
  // A cgroup someone froze (a pod's, an admin's): the init would hang there.
  BERTH_TRY(check_not_frozen());
  rollback.release();
  return {};
}

int Manager::clone_into_fd() const {
  return impl_->clone_fd.get();
}

Result<void> Manager::add_process(pid_t pid) {
  for (const auto &dir : impl_->cgroups.dirs) {
    auto written = write_cgroup_file(dir.dir(), "cgroup.procs", std::to_string(pid));
    if (!written && written.error().errno_value() == ENOSPC && dir.hierarchy.owns("cpuset"))
      written.error().context("(cpuset.cpus or cpuset.mems is empty)");
    BERTH_TRY_CTX(written, "add process " + std::to_string(pid) + " to its cgroup");
  }
  return {};
}

Result<void> Manager::destroy() {
  auto &cgroups = impl_->cgroups;
  // A frozen process cannot die: thaw first, or take it out of an ancestor
  // that something else froze (a cgroup without a freezer, or already gone,
  // has nothing to thaw).
  if (auto thawed = release_for_kill(); !thawed)
    log::debug("destroy cgroup: " + thawed.error().message());
  // Processes may fork while they are killed: kill until none is left, for a
  // bounded time.
  constexpr auto kTimeout = std::chrono::seconds(5);
  auto deadline = std::chrono::steady_clock::now() + kTimeout;
  bool first = true;
  for (;;) {
    BERTH_TRY_ASSIGN(auto left, with_context(all_pids(cgroups), "destroy cgroup"));
    if (left.empty())
      break;
    if (std::chrono::steady_clock::now() > deadline)
      return fail("destroy cgroup: " + std::to_string(left.size()) +
                      " processes are still running after SIGKILL, the first " +
                      std::to_string(left.front()),
                  EBUSY);
    if (first) {
      (void)signal_all(SIGKILL);
      first = false;
    } else {
      BERTH_TRY_CTX(signal_listed(left, SIGKILL, [&] { return all_pids(cgroups); }),
                    "destroy cgroup");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  impl_->clone_fd.reset();
  Result<void> removed;
  // systemd removes the scope's directories when the scope stops (and may have
  // already, once its processes were gone: then there is nothing to stop).
  if (impl_->systemd_scope && impl_->scope_requested) {
    removed = systemd::stop_unit(impl_->systemd_scope->unit());
    if (removed)
      impl_->scope_requested = false;
  }
  for (const auto &dir : cgroups.dirs) {
    auto result = remove_levels(dir);
    if (!result && removed)
      removed = std::move(result);
  }
  return with_context(std::move(removed), "destroy cgroup");
}

} // namespace berth::cgroup
