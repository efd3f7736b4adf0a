#include "cgroup/hierarchy.hpp"
#include "sys/text.hpp"

#include <algorithm>
#include <map>

#include "sys/mountinfo.hpp"
#include "sys/syscalls.hpp"

namespace berth::cgroup {
namespace {

// One line of /proc/self/cgroup: "4:memory:/path", "1:name=systemd:/", "0::/path".
struct OwnCgroup {
  bool unified = false;
  std::vector<std::string> controllers;
  std::string name;
  std::string path;
};

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  while (!text.empty()) {
    auto end = text.find(separator);
    auto part = text.substr(0, end);
    if (!part.empty())
      parts.emplace_back(part);
    if (end == std::string_view::npos)
      break;
    text.remove_prefix(end + 1);
  }
  return parts;
}

Result<std::vector<OwnCgroup>> parse_self_cgroup(std::string_view text) {
  std::vector<OwnCgroup> entries;
  int line_number = 0;
  for (std::string_view line : sys::split_lines(text)) {
    ++line_number;
    if (line.empty())
      continue;
    auto first = line.find(':');
    auto second = first == std::string_view::npos ? first : line.find(':', first + 1);
    if (second == std::string_view::npos || line.size() == second + 1 || line[second + 1] != '/')
      return fail("/proc/self/cgroup line " + std::to_string(line_number) + " is malformed",
                  EINVAL);
    OwnCgroup entry;
    auto id = line.substr(0, first);
    auto list = line.substr(first + 1, second - first - 1);
    entry.path = line.substr(second + 1); // a path may itself hold ':'
    // cgroup v2 is hierarchy 0 with an empty controller list; v1 never is.
    entry.unified = id == "0" && list.empty();
    for (auto &item : split(list, ',')) {
      if (item.starts_with("name="))
        entry.name = item.substr(5);
      else
        entry.controllers.push_back(std::move(item));
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

// "/a" covers "/a" and "/a/b", not "/ab".
bool path_covers(std::string_view outer, std::string_view inner) {
  if (outer == "/")
    return true;
  return inner.starts_with(outer) && (inner.size() == outer.size() || inner[outer.size()] == '/');
}

// A mount is out of sight when another one, which is not one of its parents,
// sits on its mount point or on a directory above it (mountinfo still lists
// the mounts of /sys/fs/cgroup/* after cgroup2 is mounted over /sys/fs/cgroup).
bool hidden(const sys::MountInfo &mount, const std::vector<sys::MountInfo> &mounts,
            const std::map<int, const sys::MountInfo *> &by_id) {
  for (const auto &other : mounts) {
    if (&other == &mount || !path_covers(other.mount_point, mount.mount_point))
      continue;
    bool is_parent = false;
    int id = mount.parent_id;
    for (std::size_t depth = 0; depth < mounts.size(); ++depth) {
      if (id == other.mount_id) {
        is_parent = true;
        break;
      }
      auto found = by_id.find(id);
      if (found == by_id.end() || found->second->parent_id == id)
        break;
      id = found->second->parent_id;
    }
    if (!is_parent)
      return true;
  }
  return false;
}

bool has_option(const std::vector<std::string> &options, std::string_view option) {
  return std::find(options.begin(), options.end(), option) != options.end();
}

// Of the mounts of one hierarchy (a host may bind one several times), the one
// that shows berth's own cgroup, preferring a mount of the whole hierarchy.
const sys::MountInfo *pick_mount(const std::vector<const sys::MountInfo *> &candidates,
                                 const std::string &own_path) {
  const sys::MountInfo *best = nullptr;
  for (const auto *mount : candidates) {
    if (!path_covers(mount->root, own_path))
      continue;
    if (mount->root == "/")
      return mount;
    if (!best)
      best = mount;
  }
  return best ? best : (candidates.empty() ? nullptr : candidates.front());
}

} // namespace

bool Hierarchy::owns(std::string_view controller) const {
  return std::find(controllers.begin(), controllers.end(), controller) != controllers.end();
}

const Hierarchy *HostHierarchies::owner_of(std::string_view controller) const {
  for (const auto &hierarchy : hierarchies)
    if (hierarchy.version == Version::V1 && hierarchy.owns(controller))
      return &hierarchy;
  for (const auto &hierarchy : hierarchies)
    if (hierarchy.version == Version::V2 && hierarchy.owns(controller))
      return &hierarchy;
  return nullptr;
}

const Hierarchy *HostHierarchies::unified() const {
  for (const auto &hierarchy : hierarchies)
    if (hierarchy.version == Version::V2)
      return &hierarchy;
  return nullptr;
}

bool HostHierarchies::is_pure_v2() const {
  if (!unified())
    return false;
  for (const auto &hierarchy : hierarchies)
    if (hierarchy.version == Version::V1 && !hierarchy.controllers.empty())
      return false;
  return true;
}

std::vector<std::string> split_controllers(std::string_view text) {
  std::vector<std::string> words;
  for (auto &line : split(text, '\n'))
    for (auto &word : split(line, ' '))
      words.push_back(std::move(word));
  return words;
}

Result<HostHierarchies> parse_hierarchies(std::string_view mountinfo,
                                          std::string_view self_cgroup) {
  BERTH_TRY_ASSIGN(auto mounts, sys::parse_mountinfo(mountinfo));
  BERTH_TRY_ASSIGN(auto own, parse_self_cgroup(self_cgroup));
  std::map<int, const sys::MountInfo *> by_id;
  for (const auto &mount : mounts)
    by_id[mount.mount_id] = &mount;

  std::vector<const sys::MountInfo *> v1_mounts, v2_mounts;
  for (const auto &mount : mounts) {
    if (mount.fstype != "cgroup" && mount.fstype != "cgroup2")
      continue;
    if (hidden(mount, mounts, by_id))
      continue;
    (mount.fstype == "cgroup2" ? v2_mounts : v1_mounts).push_back(&mount);
  }

  HostHierarchies host;
  // /proc/self/cgroup names each hierarchy exactly once, with its exact set of
  // controllers: it decides what a mount holds, so that mount options which
  // are not controllers ("xattr", "clone_children") need no list of their own.
  for (const auto &entry : own) {
    Hierarchy hierarchy;
    std::vector<const sys::MountInfo *> candidates;
    if (entry.unified) {
      candidates = v2_mounts;
    } else {
      hierarchy.version = Version::V1;
      hierarchy.controllers = entry.controllers;
      hierarchy.name = entry.name;
      for (const auto *mount : v1_mounts) {
        auto options = split(mount->super_options, ',');
        bool matches = entry.name.empty() ? !entry.controllers.empty()
                                          : has_option(options, "name=" + entry.name);
        for (const auto &controller : entry.controllers)
          matches = matches && has_option(options, controller);
        if (matches)
          candidates.push_back(mount);
      }
    }
    const auto *mount = pick_mount(candidates, entry.path);
    if (!mount)
      continue; // a hierarchy this mount namespace does not show
    hierarchy.mount_point = mount->mount_point;
    hierarchy.mount_root = mount->root;
    hierarchy.own_cgroup = entry.path;
    host.hierarchies.push_back(std::move(hierarchy));
  }
  return host;
}

Result<HostHierarchies> discover_hierarchies() {
  BERTH_TRY_ASSIGN(auto mountinfo, sys::read_file("/proc/self/mountinfo"));
  BERTH_TRY_ASSIGN(auto self_cgroup, sys::read_file("/proc/self/cgroup"));
  BERTH_TRY_ASSIGN(auto host, with_context(parse_hierarchies(mountinfo, self_cgroup),
                                           "discover cgroup hierarchies"));
  for (auto &hierarchy : host.hierarchies) {
    if (hierarchy.version != Version::V2)
      continue;
    BERTH_TRY_ASSIGN(auto controllers,
                     with_context(sys::read_file(hierarchy.mount_point + "/cgroup.controllers"),
                                  "discover cgroup hierarchies"));
    hierarchy.controllers = split_controllers(controllers);
  }
  return host;
}

} // namespace berth::cgroup
