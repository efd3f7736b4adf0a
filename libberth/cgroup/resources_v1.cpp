// linux.resources on cgroup v1 (Documentation/admin-guide/cgroup-v1/*.rst),
// section by section; resources_plan.cpp decides which sections land here.
#include "cgroup/resources_detail.hpp"

namespace berth::cgroup::detail {
namespace {

// The spec leaves major, minor and access out to mean "all"; -1 is the
// conventional way to write "all" for a number.
std::string device_number(const std::optional<std::int64_t> &number) {
  return number && *number >= 0 ? std::to_string(*number) : std::string("*");
}

bool grants_all_access(std::string_view access) {
  return access.find('r') != std::string_view::npos && access.find('w') != std::string_view::npos &&
         access.find('m') != std::string_view::npos;
}

void add_throttle(const std::vector<spec::ThrottleDevice> &devices, const char *file,
                  ResourcePlan &plan) {
  for (const auto &device : devices)
    add_write(plan, "blkio", file,
              device_key(device.major, device.minor) + " " + std::to_string(device.rate));
}

} // namespace

// devices.allow and devices.deny hold exceptions to a default: "a" sets the
// default (to deny here) and drops every exception, so it comes first and the
// rules follow in spec order. The kernel reads a rule of type "a" as
// everything whatever its numbers and access, so "a" is written only for a
// rule that means everything; a narrower rule for all types becomes one line
// for char and one for block devices.
void v1_devices(const std::vector<spec::DeviceCgroupRule> &rules, ResourcePlan &plan) {
  if (rules.empty())
    return;
  add_write(plan, "devices", "devices.deny", "a");
  for (const auto &rule : rules) {
    const std::string access = rule.access.value_or("rwm");
    if (access.empty())
      continue; // grants or refuses nothing
    const char *file = rule.allow ? "devices.allow" : "devices.deny";
    const std::string type = rule.type.value_or("a");
    const std::string numbers = device_number(rule.major) + ":" + device_number(rule.minor);
    if (type != "a") {
      add_write(plan, "devices", file, type + " " + numbers + " " + access);
    } else if (numbers == "*:*" && grants_all_access(access)) {
      add_write(plan, "devices", file, "a");
    } else {
      add_write(plan, "devices", file, "c " + numbers + " " + access);
      add_write(plan, "devices", file, "b " + numbers + " " + access);
    }
  }
}

// memory.memsw.limit_in_bytes (memory+swap, the spec's swap as it is) must
// never be below memory.limit_in_bytes, whichever way both move: memsw is
// lifted to unlimited, the limit set, then memsw set. Hosts without swap
// accounting have no memsw files, and then swap cannot be limited at all.
Result<void> v1_memory(const spec::MemoryResources &memory, std::string_view pointer,
                       ResourcePlan &plan) {
  if (memory.limit)
    BERTH_TRY(memory_amount(*memory.limit, "-1", at(pointer, "limit")));
  if (memory.reservation)
    BERTH_TRY(memory_amount(*memory.reservation, "-1", at(pointer, "reservation")));
  if (memory.swap) {
    BERTH_TRY(memory_amount(*memory.swap, "-1", at(pointer, "swap")));
    if (*memory.swap != -1 && memory.limit && *memory.limit != -1 && *memory.swap < *memory.limit)
      return fail(at(pointer, "swap") + ": memory+swap (" + std::to_string(*memory.swap) +
                  ") is less than the memory limit (" + std::to_string(*memory.limit) + ")");
  }

  if (memory.limit && memory.swap)
    add_write(plan, "memory", "memory.memsw.limit_in_bytes", "-1").optional = true;
  if (memory.limit)
    add_write(plan, "memory", "memory.limit_in_bytes", std::to_string(*memory.limit));
  if (memory.swap)
    add_write(plan, "memory", "memory.memsw.limit_in_bytes", std::to_string(*memory.swap))
        .optional = true;
  if (memory.reservation)
    add_write(plan, "memory", "memory.soft_limit_in_bytes", std::to_string(*memory.reservation));
  if (memory.kernel)
    add_ignored(plan, at(pointer, "kernel"), "deprecated; kernel memory limits are not set");
  if (memory.kernel_tcp)
    add_ignored(plan, at(pointer, "kernelTCP"), "deprecated; kernel TCP limits are not set");
  if (memory.swappiness)
    add_write(plan, "memory", "memory.swappiness", std::to_string(*memory.swappiness));
  if (memory.disable_oom_killer)
    add_write(plan, "memory", "memory.oom_control", *memory.disable_oom_killer ? "1" : "0");
  if (memory.use_hierarchy)
    add_write(plan, "memory", "memory.use_hierarchy", *memory.use_hierarchy ? "1" : "0");
  return {};
}

// The kernel refuses shares for an idle group and a burst above the quota:
// see ResourcePlan for the order.
Result<void> v1_cpu(const spec::CpuResources &cpu, std::string_view pointer, ResourcePlan &plan) {
  BERTH_TRY(check_cpu_burst(cpu, pointer));
  if (cpu.idle && *cpu.idle == 0)
    add_write(plan, "cpu", "cpu.idle", "0");
  if (cpu.shares)
    add_write(plan, "cpu", "cpu.shares", std::to_string(*cpu.shares));
  if (cpu.period)
    add_write(plan, "cpu", "cpu.cfs_period_us", std::to_string(*cpu.period));
  if (cpu.burst && cpu.quota)
    add_write(plan, "cpu", "cpu.cfs_burst_us", "0");
  if (cpu.quota) // any negative quota means no limit; the file says so with -1
    add_write(plan, "cpu", "cpu.cfs_quota_us", *cpu.quota < 0 ? "-1" : std::to_string(*cpu.quota));
  if (cpu.burst)
    add_write(plan, "cpu", "cpu.cfs_burst_us", std::to_string(*cpu.burst));
  if (cpu.realtime_period)
    add_write(plan, "cpu", "cpu.rt_period_us", std::to_string(*cpu.realtime_period));
  if (cpu.realtime_runtime)
    add_write(plan, "cpu", "cpu.rt_runtime_us", std::to_string(*cpu.realtime_runtime));
  if (cpu.idle && *cpu.idle != 0)
    add_write(plan, "cpu", "cpu.idle", std::to_string(*cpu.idle));
  return {};
}

// Since CFQ left the kernel (5.0) the weights live under BFQ's names, which
// take the same range; CFQ's leaf weights have no successor.
void v1_blkio(const spec::BlockIoResources &io, ResourcePlan &plan) {
  if (io.weight)
    add_write(plan, "blkio", "blkio.weight", std::to_string(*io.weight)).fallback_file =
        "blkio.bfq.weight";
  if (io.leaf_weight)
    add_write(plan, "blkio", "blkio.leaf_weight", std::to_string(*io.leaf_weight)).optional = true;
  for (const auto &device : io.weight_device) {
    const std::string key = device_key(device.major, device.minor);
    if (device.weight)
      add_write(plan, "blkio", "blkio.weight_device", key + " " + std::to_string(*device.weight))
          .fallback_file = "blkio.bfq.weight_device";
    if (device.leaf_weight)
      add_write(plan, "blkio", "blkio.leaf_weight_device",
                key + " " + std::to_string(*device.leaf_weight))
          .optional = true;
  }
  add_throttle(io.throttle_read_bps_device, "blkio.throttle.read_bps_device", plan);
  add_throttle(io.throttle_write_bps_device, "blkio.throttle.write_bps_device", plan);
  add_throttle(io.throttle_read_iops_device, "blkio.throttle.read_iops_device", plan);
  add_throttle(io.throttle_write_iops_device, "blkio.throttle.write_iops_device", plan);
}

// See v2_hugetlb for the reservation limit.
void v1_hugetlb(const std::vector<spec::HugepageLimit> &limits, ResourcePlan &plan) {
  for (const auto &limit : limits) {
    const std::string prefix = "hugetlb." + limit.page_size;
    add_write(plan, "hugetlb", prefix + ".limit_in_bytes", std::to_string(limit.limit));
    add_write(plan, "hugetlb", prefix + ".rsvd.limit_in_bytes", std::to_string(limit.limit))
        .optional = true;
  }
}

void v1_net_cls(std::uint32_t class_id, ResourcePlan &plan) {
  add_write(plan, "net_cls", "net_cls.classid", std::to_string(class_id));
}

void v1_net_prio(const std::vector<spec::NetworkPriority> &priorities, ResourcePlan &plan) {
  for (const auto &priority : priorities)
    add_write(plan, "net_prio", "net_prio.ifpriomap",
              priority.name + " " + std::to_string(priority.priority));
}

} // namespace berth::cgroup::detail
