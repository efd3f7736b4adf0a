// config-linux.md "Control groups": linux.resources, also the whole document of
// update --resources.
#include "spec/parser.hpp"
#include "spec/sections.hpp"

namespace berth::spec::detail {
namespace {

Result<DeviceCgroupRule> parse_device_rule(const Node &node) {
  BERTH_TRY(expect_object(node));
  DeviceCgroupRule rule;
  BERTH_TRY(read_required(node, "allow", rule.allow));
  BERTH_TRY(read_optional(node, "type", rule.type));
  BERTH_TRY(read_optional(node, "major", rule.major));
  BERTH_TRY(read_optional(node, "minor", rule.minor));
  BERTH_TRY(read_optional(node, "access", rule.access));
  return rule;
}

Result<MemoryResources> parse_memory(const Node &node) {
  BERTH_TRY(expect_object(node));
  MemoryResources memory;
  BERTH_TRY(read_optional(node, "limit", memory.limit));
  BERTH_TRY(read_optional(node, "reservation", memory.reservation));
  BERTH_TRY(read_optional(node, "swap", memory.swap));
  BERTH_TRY(read_optional(node, "kernel", memory.kernel));
  BERTH_TRY(read_optional(node, "kernelTCP", memory.kernel_tcp));
  BERTH_TRY(read_optional(node, "swappiness", memory.swappiness));
  BERTH_TRY(read_optional(node, "disableOOMKiller", memory.disable_oom_killer));
  BERTH_TRY(read_optional(node, "useHierarchy", memory.use_hierarchy));
  BERTH_TRY(read_optional(node, "checkBeforeUpdate", memory.check_before_update));
  return memory;
}

Result<CpuResources> parse_cpu(const Node &node) {
  BERTH_TRY(expect_object(node));
  CpuResources cpu;
  BERTH_TRY(read_optional(node, "shares", cpu.shares));
  BERTH_TRY(read_optional(node, "quota", cpu.quota));
  BERTH_TRY(read_optional(node, "burst", cpu.burst));
  BERTH_TRY(read_optional(node, "period", cpu.period));
  BERTH_TRY(read_optional(node, "realtimeRuntime", cpu.realtime_runtime));
  BERTH_TRY(read_optional(node, "realtimePeriod", cpu.realtime_period));
  BERTH_TRY(read_optional(node, "cpus", cpu.cpus));
  BERTH_TRY(read_optional(node, "mems", cpu.mems));
  BERTH_TRY(read_optional(node, "idle", cpu.idle));
  return cpu;
}

Result<WeightDevice> parse_weight_device(const Node &node) {
  BERTH_TRY(expect_object(node));
  WeightDevice device;
  BERTH_TRY(read_required(node, "major", device.major));
  BERTH_TRY(read_required(node, "minor", device.minor));
  BERTH_TRY(read_optional(node, "weight", device.weight));
  BERTH_TRY(read_optional(node, "leafWeight", device.leaf_weight));
  return device;
}

Result<ThrottleDevice> parse_throttle_device(const Node &node) {
  BERTH_TRY(expect_object(node));
  ThrottleDevice device;
  BERTH_TRY(read_required(node, "major", device.major));
  BERTH_TRY(read_required(node, "minor", device.minor));
  BERTH_TRY(read_required(node, "rate", device.rate));
  return device;
}

Result<BlockIoResources> parse_block_io(const Node &node) {
  BERTH_TRY(expect_object(node));
  BlockIoResources io;
  BERTH_TRY(read_optional(node, "weight", io.weight));
  BERTH_TRY(read_optional(node, "leafWeight", io.leaf_weight));
  BERTH_TRY(read_array(node, "weightDevice", io.weight_device, parse_weight_device));
  BERTH_TRY(read_array(node, "throttleReadBpsDevice", io.throttle_read_bps_device,
                       parse_throttle_device));
  BERTH_TRY(read_array(node, "throttleWriteBpsDevice", io.throttle_write_bps_device,
                       parse_throttle_device));
  BERTH_TRY(read_array(node, "throttleReadIOPSDevice", io.throttle_read_iops_device,
                       parse_throttle_device));
  BERTH_TRY(read_array(node, "throttleWriteIOPSDevice", io.throttle_write_iops_device,
                       parse_throttle_device));
  return io;
}

Result<HugepageLimit> parse_hugepage_limit(const Node &node) {
  BERTH_TRY(expect_object(node));
  HugepageLimit limit;
  BERTH_TRY(read_required(node, "pageSize", limit.page_size));
  BERTH_TRY(read_required(node, "limit", limit.limit));
  return limit;
}

Result<NetworkPriority> parse_network_priority(const Node &node) {
  BERTH_TRY(expect_object(node));
  NetworkPriority priority;
  BERTH_TRY(read_required(node, "name", priority.name));
  BERTH_TRY(read_required(node, "priority", priority.priority));
  return priority;
}

Result<NetworkResources> parse_network(const Node &node) {
  BERTH_TRY(expect_object(node));
  NetworkResources network;
  BERTH_TRY(read_optional(node, "classID", network.class_id));
  BERTH_TRY(read_array(node, "priorities", network.priorities, parse_network_priority));
  return network;
}

Result<RdmaLimit> parse_rdma_limit(const Node &node) {
  BERTH_TRY(expect_object(node));
  RdmaLimit limit;
  BERTH_TRY(read_optional(node, "hcaHandles", limit.hca_handles));
  BERTH_TRY(read_optional(node, "hcaObjects", limit.hca_objects));
  return limit;
}

// pids is an object with one required member; the model keeps just the number.
Result<std::int64_t> parse_pids_limit(const Node &node) {
  BERTH_TRY(expect_object(node));
  std::int64_t limit = 0;
  BERTH_TRY(read_required(node, "limit", limit));
  return limit;
}

} // namespace

Result<Resources> parse_resources_object(const Node &node) {
  BERTH_TRY(expect_object(node));
  Resources resources;
  BERTH_TRY(read_array(node, "devices", resources.devices, parse_device_rule));
  BERTH_TRY(read_object(node, "memory", resources.memory, parse_memory));
  BERTH_TRY(read_object(node, "cpu", resources.cpu, parse_cpu));
  BERTH_TRY(read_object(node, "pids", resources.pids_limit, parse_pids_limit));
  BERTH_TRY(read_object(node, "blockIO", resources.block_io, parse_block_io));
  BERTH_TRY(read_array(node, "hugepageLimits", resources.hugepage_limits, parse_hugepage_limit));
  BERTH_TRY(read_object(node, "network", resources.network, parse_network));
  BERTH_TRY(read_map(node, "rdma", resources.rdma, parse_rdma_limit));
  BERTH_TRY(read_or_default(node, "unified", resources.unified));
  clear_zero_limits(resources);
  return resources;
}

} // namespace berth::spec::detail

namespace berth::spec {
namespace {

template <class T> void clear_zero(std::optional<T> &value) {
  if (value && *value == 0)
    value.reset();
}

} // namespace

void clear_zero_limits(Resources &resources) {
  if (auto &memory = resources.memory) {
    clear_zero(memory->limit);
    clear_zero(memory->reservation);
    clear_zero(memory->swap);
    clear_zero(memory->kernel);
    clear_zero(memory->kernel_tcp);
  }
  if (auto &cpu = resources.cpu) {
    clear_zero(cpu->shares);
    clear_zero(cpu->quota);
    clear_zero(cpu->period);
    clear_zero(cpu->realtime_runtime);
    clear_zero(cpu->realtime_period);
  }
  clear_zero(resources.pids_limit);
  if (auto &io = resources.block_io) {
    clear_zero(io->weight);
    clear_zero(io->leaf_weight);
  }
}

} // namespace berth::spec
