// Validation of a process object (config.json's, or exec --process).
#include <set>

#include "spec/sections.hpp"
#include "sys/id_list.hpp"
#include "tables/process_scheduling.hpp"
#include "tables/rlimits.hpp"

namespace berth::spec::detail {
namespace {

template <class Table> bool is_listed(const Table &table, std::string_view name) {
  return tables::find_named(table, name) != nullptr;
}

Result<void> validate_rlimits(const std::vector<Rlimit> &rlimits, std::string_view pointer) {
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < rlimits.size(); ++i) {
    const Rlimit &rlimit = rlimits[i];
    std::string entry = at(pointer, i);
    if (!tables::find_rlimit(rlimit.type))
      return fail_at(at(entry, "type"), "unknown rlimit " + quote(rlimit.type));
    if (!seen.insert(rlimit.type).second)
      return fail_at(at(entry, "type"), "duplicate rlimit " + quote(rlimit.type));
    if (rlimit.soft > rlimit.hard)
      return fail_at(at(entry, "soft"), std::to_string(rlimit.soft) + " is above the hard limit " +
                                            std::to_string(rlimit.hard));
  }
  return {};
}

Result<void> validate_scheduler(const Scheduler &scheduler, std::string_view pointer) {
  if (!is_listed(tables::kSchedulerPolicies, scheduler.policy))
    return fail_at(at(pointer, "policy"), "unknown scheduler policy " + quote(scheduler.policy));
  // sched_setattr(2)'s ranges: nice -20 (first) to 19, static priority 1 to
  // 99 for SCHED_FIFO and SCHED_RR, 0 for the others (the kernel checks which).
  if (scheduler.nice && (*scheduler.nice < -20 || *scheduler.nice > 19))
    return fail_at(at(pointer, "nice"), "expected an integer from -20 to 19");
  if (scheduler.priority && (*scheduler.priority < 0 || *scheduler.priority > 99))
    return fail_at(at(pointer, "priority"), "expected an integer from 0 to 99");
  for (std::size_t i = 0; i < scheduler.flags.size(); ++i)
    if (!is_listed(tables::kSchedulerFlags, scheduler.flags[i]))
      return fail_at(at(at(pointer, "flags"), i),
                     "unknown scheduler flag " + quote(scheduler.flags[i]));
  return {};
}

Result<void> validate_io_priority(const IoPriority &priority, std::string_view pointer) {
  if (!is_listed(tables::kIoPriorityClasses, priority.io_class))
    return fail_at(at(pointer, "class"), "unknown I/O priority class " + quote(priority.io_class));
  // The kernel's levels within a class are 0 (highest) to 7 (lowest).
  if (priority.priority < 0 || priority.priority > 7)
    return fail_at(at(pointer, "priority"), "expected an integer from 0 to 7");
  return {};
}

Result<void> validate_cpu_affinity(const ExecCpuAffinity &affinity, std::string_view pointer) {
  // Empty means "no change" (for final: the cgroup's CPUs).
  auto check = [&](const std::optional<std::string> &list, std::string_view key) -> Result<void> {
    if (list && !list->empty() && !sys::parse_id_list(*list))
      return fail_at(at(pointer, key),
                     "expected a CPU list such as \"0-3,7\", got " + quote(*list));
    return {};
  };
  BERTH_TRY(check(affinity.initial, "initial"));
  BERTH_TRY(check(affinity.final_, "final"));
  return {};
}

} // namespace

Result<void> validate_process(const Process &process, std::string_view pointer) {
  if (process.args.empty())
    return fail_at(at(pointer, "args"), "must not be empty");
  for (std::size_t i = 0; i < process.env.size(); ++i)
    if (process.env[i].find('=') == std::string::npos)
      return fail_at(at(at(pointer, "env"), i), "expected KEY=value, got " + quote(process.env[i]));
  BERTH_TRY(expect_absolute(at(pointer, "cwd"), process.cwd));
  BERTH_TRY(validate_rlimits(process.rlimits, at(pointer, "rlimits")));
  if (process.oom_score_adj && (*process.oom_score_adj < -1000 || *process.oom_score_adj > 1000))
    return fail_at(at(pointer, "oomScoreAdj"), "expected an integer from -1000 to 1000");
  if (process.scheduler)
    BERTH_TRY(validate_scheduler(*process.scheduler, at(pointer, "scheduler")));
  if (process.io_priority)
    BERTH_TRY(validate_io_priority(*process.io_priority, at(pointer, "ioPriority")));
  if (process.exec_cpu_affinity)
    BERTH_TRY(validate_cpu_affinity(*process.exec_cpu_affinity, at(pointer, "execCPUAffinity")));
  return {};
}

} // namespace berth::spec::detail
