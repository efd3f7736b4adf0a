// Where a container's cgroup lives in one hierarchy: linux.cgroupsPath as the
// spec and runc's cgroupfs driver read it. An absolute path starts at the
// hierarchy's root; a relative one at berth's own cgroup there; without one,
// the container id is the relative path.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cgroup/hierarchy.hpp"
#include "sys/error.hpp"

namespace berth::cgroup {

// "/a//b/./c/" -> "/a/b/c". Refuses ".." (a cgroup path must not climb out of
// where it starts) and NUL bytes.
Result<std::string> normalize_cgroup_path(std::string_view path);

// The container's cgroup as a path below hierarchy.mount_point ("/berth/c1").
// Never the hierarchy's root or berth's own cgroup: the container gets a
// cgroup of its own, which destroy() may empty.
Result<std::string> resolve_cgroup_path(const Hierarchy &hierarchy,
                                        const std::optional<std::string> &cgroups_path,
                                        std::string_view id);

// "/a/b/c" -> {"/a", "/a/b", "/a/b/c"}.
std::vector<std::string> cgroup_path_levels(std::string_view path);

} // namespace berth::cgroup
