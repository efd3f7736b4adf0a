// The pieces of plan_resources (resources.hpp): one translator per resource
// section and cgroup version, each appending to the plan in write order.
// resources_plan.cpp picks the version per section; resources_v1.cpp and
// resources_v2.cpp hold the translators; conversions.cpp the shared formats.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cgroup/resources.hpp"

namespace berth::cgroup::detail {

// Appends a write and returns it, for setting fallback_file or optional.
FileWrite &add_write(ResourcePlan &plan, std::string_view controller, std::string file,
                     std::string value);
void add_ignored(ResourcePlan &plan, std::string_view pointer, std::string_view why);

// "MAJ:MIN" as the kernel's device-keyed files take it.
std::string device_key(std::int64_t major, std::int64_t minor);
// A memory amount in bytes, or -1 for unlimited: `unlimited` for -1, the
// number otherwise; anything below -1 is an error naming `pointer`.
Result<std::string> memory_amount(std::int64_t value, std::string_view unlimited,
                                  std::string_view pointer);

// Pointers below `pointer` ("/linux/resources" + "/memory" ...).
std::string at(std::string_view pointer, std::string_view key);
std::string at(std::string_view pointer, std::size_t index);

// v2: `pointer` is the section's own pointer ("/linux/resources/memory").
Result<void> v2_memory(const spec::MemoryResources &memory, std::string_view pointer,
                       ResourcePlan &plan);
Result<void> v2_cpu(const spec::CpuResources &cpu, std::string_view pointer, ResourcePlan &plan);
void v2_io(const spec::BlockIoResources &io, std::string_view pointer, ResourcePlan &plan);
void v2_hugetlb(const std::vector<spec::HugepageLimit> &limits, ResourcePlan &plan);
// The controller a `unified` key belongs to ("memory" for "memory.high"), or
// an error naming the key's pointer when the key is not a plain file name.
Result<std::string> unified_controller(std::string_view key, std::string_view pointer);

// v1.
void v1_devices(const std::vector<spec::DeviceCgroupRule> &rules, ResourcePlan &plan);
Result<void> v1_memory(const spec::MemoryResources &memory, std::string_view pointer,
                       ResourcePlan &plan);
Result<void> v1_cpu(const spec::CpuResources &cpu, std::string_view pointer, ResourcePlan &plan);
void v1_blkio(const spec::BlockIoResources &io, ResourcePlan &plan);
void v1_hugetlb(const std::vector<spec::HugepageLimit> &limits, ResourcePlan &plan);
void v1_net_cls(std::uint32_t class_id, ResourcePlan &plan);
void v1_net_prio(const std::vector<spec::NetworkPriority> &priorities, ResourcePlan &plan);

// The same files on v1 and v2.
void cpuset_writes(const spec::CpuResources &cpu, ResourcePlan &plan);
void pids_writes(std::int64_t limit, ResourcePlan &plan);
void rdma_writes(const std::map<std::string, spec::RdmaLimit> &rdma, ResourcePlan &plan);

// Shared by v1 and v2: the burst must fit in a positive quota (config-linux.md
// lets a runtime refuse it, and the kernel would, with a vaguer EINVAL).
Result<void> check_cpu_burst(const spec::CpuResources &cpu, std::string_view pointer);

} // namespace berth::cgroup::detail
