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
  for (const auto &write : plan.writes) {
    const CgroupDir *target =
        write.controller == "cgroup" ? unified : cgroups.owner_of(write.controller);
    // plan_resources asked versions() about every controller it wrote, and
    // refused the sections whose controller no hierarchy has.
    if (!target)
      return fail("cgroup: no hierarchy for " + write.file + " (controller " + write.controller +
                      ")",
                  ENOENT);
    BERTH_TRY(write_one(*target, write));
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

Result<void> Manager::update(const spec::Resources &resources) {
  return apply_resources(impl_->cgroups, resources, Mode::Update);
}

} // namespace berth::cgroup
