// The pieces of Manager::stats (stats.cpp): one reader per controller and
// cgroup version, each returning its part of runc's `events --stats` JSON.
// A file the kernel does not have leaves its field out.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "cgroup/manager_impl.hpp"
#include "sys/error.hpp"
#include "json/value.hpp"

namespace berth::cgroup::stats_detail {

// A number file ("max" is UINT64_MAX), nullopt when absent.
Result<std::optional<std::uint64_t>> read_number(const CgroupDir &dir, std::string_view file);
// A "key value" file, empty when absent.
Result<std::map<std::string, std::uint64_t>> read_keyed(const CgroupDir &dir,
                                                        std::string_view file);
// Sets `key` to the number when there is one.
void set_number(json::Value &object, std::string key, std::optional<std::uint64_t> value);
json::Value keyed_object(const std::map<std::string, std::uint64_t> &values);
// The page sizes ("2MB") of the files named "hugetlb.<size>.<suffix>" in dir.
Result<std::vector<std::string>> hugetlb_sizes(const CgroupDir &dir, std::string_view suffix);

// `cpu` or `cpuacct` may be null where the host lacks that hierarchy.
Result<json::Value> v1_cpu(const CgroupDir *cpu, const CgroupDir *cpuacct);
Result<json::Value> v1_memory(const CgroupDir &dir);
Result<json::Value> v1_blkio(const CgroupDir &dir);
Result<json::Value> v1_hugetlb(const CgroupDir &dir);

Result<json::Value> v2_cpu(const CgroupDir &dir);
Result<json::Value> v2_memory(const CgroupDir &dir);
Result<json::Value> v2_io(const CgroupDir &dir);
Result<json::Value> v2_hugetlb(const CgroupDir &dir);

// pids.current and pids.max are the same on v1 and v2.
Result<json::Value> pids(const CgroupDir &dir);

} // namespace berth::cgroup::stats_detail
