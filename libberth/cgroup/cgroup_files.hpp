// Reading and writing the interface files of one cgroup directory, with
// errors that name the file and the directory ("write memory.max in
// /sys/fs/cgroup/c1: Invalid argument").
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sys/error.hpp"

namespace berth::cgroup {

Result<void> write_cgroup_file(const std::string &dir, std::string_view file,
                               std::string_view value);
Result<std::string> read_cgroup_file(const std::string &dir, std::string_view file);
// The file's content without surrounding whitespace, or nullopt when the
// file does not exist (a controller or kernel without it).
Result<std::optional<std::string>> read_cgroup_value(const std::string &dir, std::string_view file);

// A number as cgroup files print it; "max" is UINT64_MAX.
std::optional<std::uint64_t> parse_cgroup_number(std::string_view text);
// "key value" lines (memory.stat, cpu.stat, memory.events ...).
std::map<std::string, std::uint64_t> parse_flat_keyed(std::string_view text);

// The names in a cgroup directory: the child cgroups (directories = true) or
// the interface files. ENOENT when the cgroup does not exist.
Result<std::vector<std::string>> list_cgroup_dir(const std::string &dir, bool directories);

// The pids in dir/cgroup.procs, in the order the kernel lists them.
Result<std::vector<pid_t>> read_cgroup_procs(const std::string &dir);
// Those of dir and of every cgroup below it. A directory that disappears
// while it is read (a cgroup removed meanwhile) is skipped.
Result<std::vector<pid_t>> read_cgroup_procs_recursive(const std::string &dir);

} // namespace berth::cgroup
