// Manager::apply and Manager::update: the translated resources written into
// the hierarchy that owns each controller, and the v2 device program.
#include <fcntl.h>

#include <algorithm>

#include "cgroup/cgroup_files.hpp"
#include "cgroup/device_bpf.hpp"
#include "cgroup/manager_impl.hpp"
#include "cgroup/resources.hpp"
#include "sys/log.hpp"
#include "sys/syscalls.hpp"

namespace berth::cgroup {
namespace {

enum class Mode { Create, Update };

Result<void> write_one(const CgroupDir &target, const FileWrite &write) {
  auto written = write_cgroup_file(target.dir(), write.file, write.value);
  if (!written && written.error().errno_value() == ENOENT && !write.fallback_file.empty())
    written = write_cgroup_file(target.dir(), write.fallback_file, write.value);
  if (!written && written.error().errno_value() == ENOENT && write.optional) {
    log::debug("cgroup: skipped " + write.file + " (this kernel does not have it)");
    return {};
  }
  return written;
}

// memory.checkBeforeUpdate: a new limit below what the cgroup already uses
// is refused instead of making the kernel reclaim or OOM-kill.
Result<void> check_memory_usage(const CgroupSet &cgroups, const spec::MemoryResources &memory) {
  if (!memory.check_before_update.value_or(false) || !memory.limit || *memory.limit <= 0)
    return {};
  const CgroupDir *owner = cgroups.owner_of("memory");
  if (!owner)
    return {};
  auto file = owner->v2() ? "memory.current" : "memory.usage_in_bytes";
  BERTH_TRY_ASSIGN(auto text, read_cgroup_value(owner->dir(), file));
  if (!text)
    return {};
  const std::uint64_t usage = parse_cgroup_number(*text).value_or(0);
  const auto limit = static_cast<std::uint64_t>(*memory.limit);
  if (usage > limit)
    return fail("memory.limit " + std::to_string(limit) + " is below the current usage " +
                    std::to_string(usage) + " (memory.checkBeforeUpdate)",
                EBUSY);
  return {};
}

// cpu.max holds quota and period together: an update that names only the
// period must carry the current quota along, or writing "max PERIOD" would
// silently lift the limit (v1 keeps them in separate files).
Result<void> keep_current_cpu_quota(const CgroupSet &cgroups, spec::CpuResources &cpu) {
  const CgroupDir *owner = cgroups.owner_of("cpu");
  if (!owner || !owner->v2() || !cpu.period || cpu.quota)
    return {};
  BERTH_TRY_ASSIGN(auto text, read_cgroup_value(owner->dir(), "cpu.max"));
  if (!text)
    return {};
  auto quota = text->substr(0, text->find(' '));
  if (auto value = parse_cgroup_number(quota))
    cpu.quota = static_cast<std::int64_t>(*value); // "max" stays absent: unlimited
  return {};
}

// cgroup v1 realtime CPU bandwidth (CONFIG_RT_GROUP_SCHED): a new cpu cgroup
// starts with cpu.rt_runtime_us 0, and a cgroup may not have more than its
// parent. So the levels berth created above the container's own (for
// linux.cgroupsPath) get the container's period then runtime first, top down,
// before the plan writes the container's; a level that existed already is
// someone else's and is never changed.
Result<void> give_created_parents_realtime(const CgroupSet &cgroups,
                                           const spec::CpuResources &cpu) {
  if (!cpu.realtime_runtime)
    return {};
  const CgroupDir *owner = cgroups.owner_of("cpu");
  if (!owner || owner->v2())
    return {};
  for (const auto &level : owner->created) {
    if (level == owner->path)
      continue; // the container's own cgroup: the plan writes it
    const std::string dir = owner->hierarchy.mount_point + level;
    if (cpu.realtime_period)
      BERTH_TRY(write_cgroup_file(dir, "cpu.rt_period_us", std::to_string(*cpu.realtime_period)));
    BERTH_TRY(write_cgroup_file(dir, "cpu.rt_runtime_us", std::to_string(*cpu.realtime_runtime)));
  }
  return {};
}

Result<void> attach_devices(const CgroupDir &unified,
                            const std::vector<spec::DeviceCgroupRule> &rules) {
  BERTH_TRY_ASSIGN(UniqueFd dir, sys::open_path(unified.dir(), O_RDONLY | O_DIRECTORY));
  return with_context(attach_device_program(dir.get(), build_device_program(rules)),
                      "device rules for " + unified.dir());
}

Result<void> apply_resources(const CgroupSet &cgroups, const spec::Resources &given, Mode mode) {
  spec::Resources resources = given;
  if (mode == Mode::Create || !resources.devices.empty()) {
    // The last matching rule decides: the default devices come after the
    // config's rules so that its usual leading "deny all" cannot undo them.
    auto defaults = default_device_rules();
    resources.devices.insert(resources.devices.end(), defaults.begin(), defaults.end());
  }
  if (mode == Mode::Update && resources.memory)
    BERTH_TRY(check_memory_usage(cgroups, *resources.memory));
  if (mode == Mode::Update && resources.cpu)
    BERTH_TRY(keep_current_cpu_quota(cgroups, *resources.cpu));
  auto pointer = mode == Mode::Create ? "/linux/resources" : "";
  BERTH_TRY_ASSIGN(auto plan, plan_resources(resources, cgroups.versions(), pointer));
  for (const auto &ignored : plan.ignored)
    log::warn("cgroup: ignored " + ignored);

  const CgroupDir *unified = cgroups.unified();
  if (unified) {
    // update may write a controller create() did not need.
    BERTH_TRY(enable_controllers(*unified, v2_controllers(cgroups, plan.writes)));
  }
  if (mode == Mode::Create && resources.cpu)
    BERTH_TRY(give_created_parents_realtime(cgroups, *resources.cpu));
  for (const auto &write : plan.writes) {
    const CgroupDir *target =
        write.controller == "cgroup" ? unified : cgroups.owner_of(write.controller);
    // plan_resources asked versions() about every controller it wrote, and
    // refused the sections whose controller no hierarchy has.
    if (!target)
      return fail("cgroup: no hierarchy for " + write.file + " (controller " + write.controller +
                      ")",
                  ENOENT);
    auto written = write_one(*target, write);
    if (!written && write.file == "cpu.rt_runtime_us" && written.error().errno_value() == EINVAL)
      written.error().context(
          "/linux/resources/cpu/realtimeRuntime " + write.value +
          ": more than the parent cgroup's cpu.rt_runtime_us leaves (berth never raises that of a "
          "cgroup it did not create)");
    BERTH_TRY(std::move(written));
  }
  bool v1_devices = cgroups.owner_of("devices") != nullptr;
  if (!resources.devices.empty() && !v1_devices && unified)
    BERTH_TRY(attach_devices(*unified, resources.devices));
  return {};
}

} // namespace

std::vector<std::string> v2_controllers(const CgroupSet &cgroups,
                                        const std::vector<FileWrite> &writes) {
  std::vector<std::string> controllers;
  const CgroupDir *unified = cgroups.unified();
  for (const auto &write : writes)
    if (write.controller != "cgroup" && unified && cgroups.owner_of(write.controller) == unified &&
        std::find(controllers.begin(), controllers.end(), write.controller) == controllers.end())
      controllers.push_back(write.controller);
  return controllers;
}

Result<void> Manager::apply(const spec::Resources &resources) {
  return apply_resources(impl_->cgroups, resources, Mode::Create);
}

Result<void> Manager::check_realtime_runtime(std::string_view policy) const {
  const CgroupDir *owner = impl_->cgroups.owner_of("cpu");
  if (!owner || owner->v2())
    return {};
  BERTH_TRY_ASSIGN(auto runtime, read_cgroup_value(owner->dir(), "cpu.rt_runtime_us"));
  if (!runtime || *runtime != "0")
    return {}; // no realtime group scheduling in this kernel, or some runtime to use
  return fail("config.json: /process/scheduler: " + std::string(policy) +
              " needs realtime CPU time, and the container's cpu cgroup " + owner->dir() +
              " has none (cpu.rt_runtime_us 0, as cgroup v1 makes a new cgroup): set "
              "/linux/resources/cpu/realtimeRuntime (and realtimePeriod)");
}

Result<void> Manager::update(const spec::Resources &resources) {
  return apply_resources(impl_->cgroups, resources, Mode::Update);
}

} // namespace berth::cgroup
