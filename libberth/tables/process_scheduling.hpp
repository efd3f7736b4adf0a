// The spec's names for process.scheduler (sched_setattr(2)), process.ioPriority
// (ioprio_set(2)), linux.personality (personality(2)) and linux.memoryPolicy
// (set_mempolicy(2)), with the kernel's values. The uapi values are spelled out
// here because glibc's headers lack most of them (sched_attr's flags, the
// ioprio classes, the MPOL_F_* mode flags).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "tables/lookup.hpp"

namespace berth::tables {

struct NamedValue {
  std::string_view name;
  std::uint64_t value;
};

// include/uapi/linux/sched.h. SCHED_ISO is reserved by the kernel and never
// implemented: the spec lists it, sched_setattr refuses it (EINVAL).
inline constexpr std::array kSchedulerPolicies = {
    NamedValue{"SCHED_OTHER", 0},    NamedValue{"SCHED_FIFO", 1}, NamedValue{"SCHED_RR", 2},
    NamedValue{"SCHED_BATCH", 3},    NamedValue{"SCHED_ISO", 4},  NamedValue{"SCHED_IDLE", 5},
    NamedValue{"SCHED_DEADLINE", 6},
};

inline constexpr std::array kSchedulerFlags = {
    NamedValue{"SCHED_FLAG_RESET_ON_FORK", 0x01},  NamedValue{"SCHED_FLAG_RECLAIM", 0x02},
    NamedValue{"SCHED_FLAG_DL_OVERRUN", 0x04},     NamedValue{"SCHED_FLAG_KEEP_POLICY", 0x08},
    NamedValue{"SCHED_FLAG_KEEP_PARAMS", 0x10},    NamedValue{"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
    NamedValue{"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40},
};

// include/uapi/linux/ioprio.h.
inline constexpr std::array kIoPriorityClasses = {
    NamedValue{"IOPRIO_CLASS_RT", 1},
    NamedValue{"IOPRIO_CLASS_BE", 2},
    NamedValue{"IOPRIO_CLASS_IDLE", 3},
};

// include/uapi/linux/personality.h: PER_LINUX, PER_LINUX32. The spec defines
// no flags yet.
inline constexpr std::array kPersonalityDomains = {
    NamedValue{"LINUX", 0x0000},
    NamedValue{"LINUX32", 0x0008},
};

// include/uapi/linux/mempolicy.h.
inline constexpr std::array kMemoryPolicyModes = {
    NamedValue{"MPOL_DEFAULT", 0},
    NamedValue{"MPOL_PREFERRED", 1},
    NamedValue{"MPOL_BIND", 2},
    NamedValue{"MPOL_INTERLEAVE", 3},
    NamedValue{"MPOL_LOCAL", 4},
    NamedValue{"MPOL_PREFERRED_MANY", 5},
    NamedValue{"MPOL_WEIGHTED_INTERLEAVE", 6},
};

inline constexpr std::array kMemoryPolicyFlags = {
    NamedValue{"MPOL_F_NUMA_BALANCING", 1U << 13},
    NamedValue{"MPOL_F_RELATIVE_NODES", 1U << 14},
    NamedValue{"MPOL_F_STATIC_NODES", 1U << 15},
};

template <class Table>
constexpr const NamedValue *find_named(const Table &table, std::string_view name) {
  return find_by_name(table, name);
}

} // namespace berth::tables
