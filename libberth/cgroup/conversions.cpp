// The conversions between v1 and v2 value ranges, the value formats the v1
// and v2 translators share, and the sections whose files are the same on both.
#include <algorithm>

#include "cgroup/resources_detail.hpp"
#include "json/value.hpp"

namespace berth::cgroup {

// cpu.shares (v1) spans [2, 262144] with 1024 as the default; cpu.weight (v2)
// spans [1, 10000]. The map is linear end to end, so both ends stay ends
// (2 -> 1, 262144 -> 10000); the default lands at 39, not at v2's own default
// of 100, which is the price of keeping the extremes.
std::uint64_t cpu_shares_to_weight(std::uint64_t shares) {
  constexpr std::uint64_t kMin = 2, kMax = 262144;
  shares = std::clamp(shares, kMin, kMax);
  return 1 + ((shares - kMin) * 9999) / (kMax - kMin);
}

// blkio.weight (v1) spans [10, 1000]; io.weight (v2) spans [1, 10000].
std::uint64_t blkio_weight_to_io_weight(std::uint64_t weight) {
  constexpr std::uint64_t kMin = 10, kMax = 1000;
  weight = std::clamp(weight, kMin, kMax);
  return 1 + ((weight - kMin) * 9999) / (kMax - kMin);
}

namespace detail {

FileWrite &add_write(ResourcePlan &plan, std::string_view controller, std::string file,
                     std::string value) {
  return plan.writes.emplace_back(
      FileWrite{std::string(controller), std::move(file), std::move(value), {}, false});
}

void add_ignored(ResourcePlan &plan, std::string_view pointer, std::string_view why) {
  plan.ignored.push_back(std::string(pointer) + ": " + std::string(why));
}

std::string device_key(std::int64_t major, std::int64_t minor) {
  return std::to_string(major) + ":" + std::to_string(minor);
}

Result<std::string> memory_amount(std::int64_t value, std::string_view unlimited,
                                  std::string_view pointer) {
  if (value == -1)
    return std::string(unlimited);
  if (value < -1)
    return fail(std::string(pointer) + ": expected -1 (unlimited) or a number of bytes, got " +
                std::to_string(value));
  return std::to_string(value);
}

std::string at(std::string_view pointer, std::string_view key) {
  return json::pointer_append(pointer, key);
}
std::string at(std::string_view pointer, std::size_t index) {
  return json::pointer_append(pointer, index);
}

// An empty list would leave the cgroup with no CPU or node to run on; the
// spec gives "" no such meaning, so it is taken as unset.
void cpuset_writes(const spec::CpuResources &cpu, ResourcePlan &plan) {
  if (cpu.cpus && !cpu.cpus->empty())
    add_write(plan, "cpuset", "cpuset.cpus", *cpu.cpus);
  if (cpu.mems && !cpu.mems->empty())
    add_write(plan, "cpuset", "cpuset.mems", *cpu.mems);
}

// -1 is unlimited, as config-linux.md says of memory; 0 and other negative
// values are read the same way (as docker's --pids-limit reads them) rather
// than as a limit under which nothing could fork.
void pids_writes(std::int64_t limit, ResourcePlan &plan) {
  add_write(plan, "pids", "pids.max", limit > 0 ? std::to_string(limit) : "max");
}

// Absent counts stay as they are.
void rdma_writes(const std::map<std::string, spec::RdmaLimit> &rdma, ResourcePlan &plan) {
  for (const auto &[device, limit] : rdma) {
    std::string line = device;
    if (limit.hca_handles)
      line += " hca_handle=" + std::to_string(*limit.hca_handles);
    if (limit.hca_objects)
      line += " hca_object=" + std::to_string(*limit.hca_objects);
    add_write(plan, "rdma", "rdma.max", std::move(line));
  }
}

Result<void> check_cpu_burst(const spec::CpuResources &cpu, std::string_view pointer) {
  if (cpu.burst && cpu.quota && *cpu.quota > 0 &&
      *cpu.burst > static_cast<std::uint64_t>(*cpu.quota))
    return fail(at(pointer, "burst") + ": " + std::to_string(*cpu.burst) +
                " is larger than the quota (" + std::to_string(*cpu.quota) + ")");
  return {};
}

} // namespace detail
} // namespace berth::cgroup
