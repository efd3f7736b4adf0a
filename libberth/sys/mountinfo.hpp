// /proc/self/mountinfo, parsed: the rootfs setup asks it which mount holds the
// rootfs (and whether that one is shared) and where the host's cgroup
// hierarchies are mounted.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sys/error.hpp"

namespace berth::sys {

struct MountInfo {
  int mount_id = 0;
  int parent_id = 0;
  std::string root;        // the root of the mount within its filesystem
  std::string mount_point; // relative to the reader's root, octal escapes decoded
  std::string mount_options;
  std::vector<std::string> optional_fields; // "shared:1", "master:2", ...
  std::string fstype;
  std::string source;
  std::string super_options;

  bool shared() const;
  bool unbindable() const;
};

// Parses mountinfo text; a malformed line is an error naming its number.
Result<std::vector<MountInfo>> parse_mountinfo(std::string_view text);

// Reads and parses /proc/self/mountinfo.
Result<std::vector<MountInfo>> read_mountinfo();

} // namespace berth::sys
