// plan_resources: which cgroup version translates each resource section, and
// the order of the sections (see ResourcePlan).
#include <type_traits>

#include "cgroup/resources_detail.hpp"

namespace berth::cgroup {
namespace {

using detail::at;

// A section's v1 controller where a v1 hierarchy owns it, else its v2
// controller where the unified hierarchy owns it (blkio and io are one
// controller under two names; the others keep theirs).
std::optional<Version> section_version(const ControllerVersion &version_of,
                                       std::string_view v1_controller,
                                       std::string_view v2_controller) {
  if (version_of(v1_controller) == Version::V1)
    return Version::V1;
  if (version_of(v2_controller) == Version::V2)
    return Version::V2;
  return std::nullopt;
}

std::unexpected<Error> no_controller(std::string_view pointer, std::string_view controller) {
  return fail(std::string(pointer) + ": no cgroup hierarchy on this host has the " +
              std::string(controller) + " controller");
}

bool requested(const spec::MemoryResources &memory) {
  return memory.limit || memory.reservation || memory.swap || memory.kernel || memory.kernel_tcp ||
         memory.swappiness || memory.disable_oom_killer || memory.use_hierarchy;
}

bool cpu_requested(const spec::CpuResources &cpu) {
  return cpu.shares || cpu.quota || cpu.burst || cpu.period || cpu.realtime_runtime ||
         cpu.realtime_period || cpu.idle;
}

bool cpuset_requested(const spec::CpuResources &cpu) {
  return (cpu.cpus && !cpu.cpus->empty()) || (cpu.mems && !cpu.mems->empty());
}

bool requested(const spec::BlockIoResources &io) {
  return io.weight || io.leaf_weight || !io.weight_device.empty() ||
         !io.throttle_read_bps_device.empty() || !io.throttle_write_bps_device.empty() ||
         !io.throttle_read_iops_device.empty() || !io.throttle_write_iops_device.empty();
}

// Calls a translator that returns nothing or a Result, as a Result.
template <class Translator> Result<void> run(Translator &&translator) {
  if constexpr (std::is_void_v<decltype(translator())>) {
    translator();
    return {};
  } else {
    return translator();
  }
}

// Runs the v1 or the v2 translator of a section, as the hierarchy that owns
// its controller asks; a controller no hierarchy has is an error at `pointer`.
template <class V1Translator, class V2Translator>
Result<void> translate(const ControllerVersion &version_of, std::string_view pointer,
                       std::string_view v1_controller, std::string_view v2_controller,
                       V1Translator &&v1, V2Translator &&v2) {
  auto version = section_version(version_of, v1_controller, v2_controller);
  if (!version)
    return no_controller(pointer, v2_controller);
  return *version == Version::V1 ? run(v1) : run(v2);
}

// net_cls and net_prio have no v2 counterpart (v2 classifies sockets with
// eBPF instead), and config-linux.md lets a runtime refuse what it cannot do.
Result<void> plan_network(const spec::NetworkResources &network,
                          const ControllerVersion &version_of, std::string_view pointer,
                          ResourcePlan &plan) {
  auto unsupported = [&](std::string_view controller) {
    return fail(std::string(pointer) +
                ": not supported on cgroup v2, and no cgroup v1 hierarchy on this host has the " +
                std::string(controller) + " controller");
  };
  if (network.class_id) {
    if (version_of("net_cls") != Version::V1)
      return unsupported("net_cls");
    detail::v1_net_cls(*network.class_id, plan);
  }
  if (!network.priorities.empty()) {
    if (version_of("net_prio") != Version::V1)
      return unsupported("net_prio");
    detail::v1_net_prio(network.priorities, plan);
  }
  return {};
}

// Verbatim, into the controller's files on the unified hierarchy only: the
// keys are v2 file names and mean nothing to a v1 hierarchy.
Result<void> plan_unified(const spec::StringMap &unified, const ControllerVersion &version_of,
                          std::string_view pointer, ResourcePlan &plan) {
  for (const auto &[key, value] : unified) {
    BERTH_TRY_ASSIGN(std::string controller, detail::unified_controller(key, pointer));
    auto version = version_of(controller);
    if (version == Version::V1)
      return fail(at(pointer, key) + ": unified needs cgroup v2, and the " + controller +
                  " controller is on cgroup v1 on this host");
    if (version != Version::V2)
      return no_controller(at(pointer, key), controller);
    detail::add_write(plan, controller, key, value);
  }
  return {};
}

} // namespace

Result<ResourcePlan> plan_resources(const spec::Resources &resources,
                                    const ControllerVersion &version_of, std::string_view pointer) {
  using namespace detail;
  ResourcePlan plan;
  // Without a v1 devices hierarchy the rules are the caller's eBPF program.
  if (!resources.devices.empty() && version_of("devices") == Version::V1)
    v1_devices(resources.devices, plan);

  if (resources.memory && requested(*resources.memory)) {
    spec::MemoryResources memory = *resources.memory;
    // As runc: lifting the memory limit without a word about swap lifts the
    // memory+swap limit too, which would otherwise stay (v1: and be below the
    // new limit, which the kernel refuses).
    if (memory.limit == -1 && !memory.swap)
      memory.swap = -1;
    const std::string section = at(pointer, "memory");
    BERTH_TRY(translate(
        version_of, section, "memory", "memory", [&] { return v1_memory(memory, section, plan); },
        [&] { return v2_memory(memory, section, plan); }));
  }
  if (resources.cpu && cpu_requested(*resources.cpu)) {
    const auto &cpu = *resources.cpu;
    const std::string section = at(pointer, "cpu");
    BERTH_TRY(translate(
        version_of, section, "cpu", "cpu", [&] { return v1_cpu(cpu, section, plan); },
        [&] { return v2_cpu(cpu, section, plan); }));
  }
  if (resources.cpu && cpuset_requested(*resources.cpu)) {
    const auto &cpu = *resources.cpu;
    const std::string field =
        at(at(pointer, "cpu"), cpu.cpus && !cpu.cpus->empty() ? "cpus" : "mems");
    auto both = [&] { cpuset_writes(cpu, plan); };
    BERTH_TRY(translate(version_of, field, "cpuset", "cpuset", both, both));
  }
  if (resources.pids_limit) {
    const std::int64_t limit = *resources.pids_limit;
    auto both = [&] { pids_writes(limit, plan); };
    BERTH_TRY(translate(version_of, at(pointer, "pids"), "pids", "pids", both, both));
  }
  if (resources.block_io && requested(*resources.block_io)) {
    const auto &io = *resources.block_io;
    const std::string section = at(pointer, "blockIO");
    BERTH_TRY(translate(
        version_of, section, "blkio", "io", [&] { v1_blkio(io, plan); },
        [&] { v2_io(io, section, plan); }));
  }
  if (!resources.hugepage_limits.empty()) {
    const auto &limits = resources.hugepage_limits;
    BERTH_TRY(translate(
        version_of, at(pointer, "hugepageLimits"), "hugetlb", "hugetlb",
        [&] { v1_hugetlb(limits, plan); }, [&] { v2_hugetlb(limits, plan); }));
  }
  if (!resources.rdma.empty()) {
    const auto &rdma = resources.rdma;
    auto both = [&] { rdma_writes(rdma, plan); };
    BERTH_TRY(translate(version_of, at(pointer, "rdma"), "rdma", "rdma", both, both));
  }
  if (resources.network)
    BERTH_TRY(plan_network(*resources.network, version_of, at(pointer, "network"), plan));
  BERTH_TRY(plan_unified(resources.unified, version_of, at(pointer, "unified"), plan));
  return plan;
}

Result<std::vector<FileWrite>> v2_writes(const spec::Resources &resources) {
  BERTH_TRY_ASSIGN(ResourcePlan plan,
                   plan_resources(resources, [](std::string_view) { return Version::V2; }));
  return std::move(plan.writes);
}

Result<std::vector<FileWrite>> v1_writes(const spec::Resources &resources) {
  BERTH_TRY_ASSIGN(ResourcePlan plan,
                   plan_resources(resources, [](std::string_view) { return Version::V1; }));
  return std::move(plan.writes);
}

} // namespace berth::cgroup
