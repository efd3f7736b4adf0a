// linux.resources on cgroup v2 (Documentation/admin-guide/cgroup-v2.rst),
// section by section; resources_plan.cpp decides which sections land here.
#include "cgroup/resources_detail.hpp"

namespace berth::cgroup::detail {
namespace {

// The spec's swap is memory+swap (the v1 memsw counter); v2 limits swap on its
// own, so memory.swap.max is the difference, which needs a memory limit.
Result<std::string> v2_swap_max(const spec::MemoryResources &memory, std::string_view pointer) {
  const std::string swap_pointer = at(pointer, "swap");
  BERTH_TRY_ASSIGN(std::string swap, memory_amount(*memory.swap, "max", swap_pointer));
  if (*memory.swap == -1)
    return swap;
  if (!memory.limit || *memory.limit == -1)
    return fail(swap_pointer +
                ": a memory+swap limit needs a memory limit on cgroup v2, which limits swap alone");
  if (*memory.swap < *memory.limit)
    return fail(swap_pointer + ": memory+swap (" + swap + ") is less than the memory limit (" +
                std::to_string(*memory.limit) + ")");
  return std::to_string(*memory.swap - *memory.limit);
}

void note_memory_ignored(const spec::MemoryResources &memory, std::string_view pointer,
                         ResourcePlan &plan) {
  if (memory.disable_oom_killer.value_or(false))
    add_ignored(plan, at(pointer, "disableOOMKiller"),
                "cgroup v2 cannot disable the OOM killer (there is no memory.oom_control)");
  if (memory.swappiness)
    add_ignored(plan, at(pointer, "swappiness"), "cgroup v2 has no per-cgroup swappiness");
  if (memory.kernel)
    add_ignored(plan, at(pointer, "kernel"),
                "deprecated; cgroup v2 accounts kernel memory within memory.max");
  if (memory.kernel_tcp)
    add_ignored(plan, at(pointer, "kernelTCP"),
                "deprecated; cgroup v2 accounts socket memory within memory.max");
  if (memory.use_hierarchy && !*memory.use_hierarchy)
    add_ignored(plan, at(pointer, "useHierarchy"), "cgroup v2 accounting is always hierarchical");
}

// "MAX" for cpu.max: a negative quota means no limit, as it does in v1's
// cpu.cfs_quota_us.
std::string cpu_max_quota(const std::optional<std::int64_t> &quota) {
  return quota && *quota >= 0 ? std::to_string(*quota) : std::string("max");
}

// v1's throttle files take 0 as "no limit"; io.max refuses 0 and says "max".
std::string io_rate(std::uint64_t rate) {
  return rate == 0 ? "max" : std::to_string(rate);
}

void add_io_max(const std::vector<spec::ThrottleDevice> &devices, std::string_view key,
                ResourcePlan &plan) {
  for (const auto &device : devices)
    add_write(plan, "io", "io.max",
              device_key(device.major, device.minor) + " " + std::string(key) + "=" +
                  io_rate(device.rate));
}

// The weight under both schedulers that honour one: io.weight (iocost, range
// [1, 10000]) always, and io.bfq.weight (BFQ, blkio's own range [1, 1000],
// so unconverted) where BFQ is loaded.
void add_io_weight(std::string_view key, std::uint16_t weight, ResourcePlan &plan) {
  add_write(plan, "io", "io.weight",
            std::string(key) + " " + std::to_string(blkio_weight_to_io_weight(weight)));
  add_write(plan, "io", "io.bfq.weight", std::string(key) + " " + std::to_string(weight)).optional =
      true;
}

} // namespace

Result<void> v2_memory(const spec::MemoryResources &memory, std::string_view pointer,
                       ResourcePlan &plan) {
  if (memory.limit) {
    BERTH_TRY_ASSIGN(std::string limit, memory_amount(*memory.limit, "max", at(pointer, "limit")));
    add_write(plan, "memory", "memory.max", std::move(limit));
  }
  if (memory.swap) {
    BERTH_TRY_ASSIGN(std::string swap_max, v2_swap_max(memory, pointer));
    // Without swap accounting (cgroup.memory=noswap) the file is absent and
    // swap cannot be limited per cgroup at all.
    add_write(plan, "memory", "memory.swap.max", std::move(swap_max)).optional = true;
  }
  // The spec's reservation is a soft limit; v2's nearest is the best-effort
  // protection memory.low (memory.high would throttle, not protect).
  if (memory.reservation) {
    BERTH_TRY_ASSIGN(std::string low,
                     memory_amount(*memory.reservation, "max", at(pointer, "reservation")));
    add_write(plan, "memory", "memory.low", std::move(low));
  }
  note_memory_ignored(memory, pointer, plan);
  return {};
}

Result<void> v2_cpu(const spec::CpuResources &cpu, std::string_view pointer, ResourcePlan &plan) {
  if (cpu.realtime_runtime.value_or(0) != 0)
    return fail(at(pointer, "realtimeRuntime") +
                ": cgroup v2 has no realtime CPU bandwidth (cpu.rt_runtime_us is cgroup v1 only)");
  if (cpu.realtime_period.value_or(0) != 0)
    return fail(at(pointer, "realtimePeriod") +
                ": cgroup v2 has no realtime CPU bandwidth (cpu.rt_period_us is cgroup v1 only)");
  BERTH_TRY(check_cpu_burst(cpu, pointer));

  if (cpu.idle && *cpu.idle == 0)
    add_write(plan, "cpu", "cpu.idle", "0");
  if (cpu.shares)
    add_write(plan, "cpu", "cpu.weight", std::to_string(cpu_shares_to_weight(*cpu.shares)));
  if (cpu.burst && cpu.quota)
    add_write(plan, "cpu", "cpu.max.burst", "0");
  // With no period the kernel keeps the current one when given MAX alone.
  if (cpu.quota || cpu.period) {
    std::string max = cpu_max_quota(cpu.quota);
    if (cpu.period)
      max.append(" ").append(std::to_string(*cpu.period));
    add_write(plan, "cpu", "cpu.max", std::move(max));
  }
  if (cpu.burst)
    add_write(plan, "cpu", "cpu.max.burst", std::to_string(*cpu.burst));
  if (cpu.idle && *cpu.idle != 0)
    add_write(plan, "cpu", "cpu.idle", std::to_string(*cpu.idle));
  return {};
}

void v2_io(const spec::BlockIoResources &io, std::string_view pointer, ResourcePlan &plan) {
  if (io.weight)
    add_io_weight("default", *io.weight, plan);
  if (io.leaf_weight)
    add_ignored(plan, at(pointer, "leafWeight"), "cgroup v2 has no leaf weight");
  for (std::size_t i = 0; i < io.weight_device.size(); ++i) {
    const spec::WeightDevice &device = io.weight_device[i];
    if (device.weight)
      add_io_weight(device_key(device.major, device.minor), *device.weight, plan);
    if (device.leaf_weight)
      add_ignored(plan, at(at(at(pointer, "weightDevice"), i), "leafWeight"),
                  "cgroup v2 has no leaf weight");
  }
  add_io_max(io.throttle_read_bps_device, "rbps", plan);
  add_io_max(io.throttle_write_bps_device, "wbps", plan);
  add_io_max(io.throttle_read_iops_device, "riops", plan);
  add_io_max(io.throttle_write_iops_device, "wiops", plan);
}

// config-linux.md asks for reservation accounting where the kernel has it
// (hugetlb.<size>.rsvd.max, since 5.7) on top of the fault-time limit.
void v2_hugetlb(const std::vector<spec::HugepageLimit> &limits, ResourcePlan &plan) {
  for (const auto &limit : limits) {
    const std::string prefix = "hugetlb." + limit.page_size;
    add_write(plan, "hugetlb", prefix + ".max", std::to_string(limit.limit));
    add_write(plan, "hugetlb", prefix + ".rsvd.max", std::to_string(limit.limit)).optional = true;
  }
}

// A key names a file in the container's cgroup directory: "<controller>.<name>".
Result<std::string> unified_controller(std::string_view key, std::string_view pointer) {
  const std::string key_pointer = at(pointer, key);
  const auto dot = key.find('.');
  if (key.find('/') != std::string_view::npos || key.find("..") != std::string_view::npos ||
      key.find('\0') != std::string_view::npos || dot == std::string_view::npos || dot == 0 ||
      dot + 1 == key.size())
    return fail(key_pointer +
                ": expected a file name of the form <controller>.<name> without '/' or '..'");
  return std::string(key.substr(0, dot));
}

} // namespace berth::cgroup::detail
