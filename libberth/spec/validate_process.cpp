// Validation of a process object (config.json's, or exec --process).
#include <array>
#include <charconv>
#include <set>

#include "spec/sections.hpp"
#include "tables/rlimits.hpp"

namespace berth::spec::detail {
namespace {

// The names config.md lists. Only their spelling is checked here; whoever
// applies them maps them to kernel values.
constexpr std::array<std::string_view, 7> kSchedulerPolicies = {
    "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR",       "SCHED_BATCH",
    "SCHED_ISO",   "SCHED_IDLE", "SCHED_DEADLINE",
};
constexpr std::array<std::string_view, 7> kSchedulerFlags = {
    "SCHED_FLAG_RESET_ON_FORK",  "SCHED_FLAG_RECLAIM",     "SCHED_FLAG_DL_OVERRUN",
    "SCHED_FLAG_KEEP_POLICY",    "SCHED_FLAG_KEEP_PARAMS", "SCHED_FLAG_UTIL_CLAMP_MIN",
    "SCHED_FLAG_UTIL_CLAMP_MAX",
};
constexpr std::array<std::string_view, 3> kIoPriorityClasses = {
    "IOPRIO_CLASS_RT",
    "IOPRIO_CLASS_BE",
    "IOPRIO_CLASS_IDLE",
};

std::optional<std::uint64_t> to_number(std::string_view text) {
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    return std::nullopt;
  return n;
}

// "0-3,7": comma-separated numbers or ascending ranges.
bool is_cpu_list(std::string_view text) {
  for (;;) {
    auto comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    auto dash = item.find('-');
    if (dash == std::string_view::npos) {
      if (!to_number(item))
        return false;
    } else {
      auto low = to_number(item.substr(0, dash));
      auto high = to_number(item.substr(dash + 1));
      if (!low || !high || *low > *high)
        return false;
    }
    if (comma == std::string_view::npos)
      return true;
    text.remove_prefix(comma + 1);
  }
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
  if (!is_one_of(kSchedulerPolicies, scheduler.policy))
    return fail_at(at(pointer, "policy"), "unknown scheduler policy " + quote(scheduler.policy));
  for (std::size_t i = 0; i < scheduler.flags.size(); ++i)
    if (!is_one_of(kSchedulerFlags, scheduler.flags[i]))
      return fail_at(at(at(pointer, "flags"), i),
                     "unknown scheduler flag " + quote(scheduler.flags[i]));
  return {};
}

Result<void> validate_io_priority(const IoPriority &priority, std::string_view pointer) {
  if (!is_one_of(kIoPriorityClasses, priority.io_class))
    return fail_at(at(pointer, "class"), "unknown I/O priority class " + quote(priority.io_class));
  // The kernel's levels within a class are 0 (highest) to 7 (lowest).
  if (priority.priority < 0 || priority.priority > 7)
    return fail_at(at(pointer, "priority"), "expected an integer from 0 to 7");
  return {};
}

Result<void> validate_cpu_affinity(const ExecCpuAffinity &affinity, std::string_view pointer) {
  // Empty means "no change" (for final: the cgroup's CPUs).
  auto check = [&](const std::optional<std::string> &list, std::string_view key) -> Result<void> {
    if (list && !list->empty() && !is_cpu_list(*list))
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
