// The scheduling and execution attributes a container's processes carry
// across execve: process.ioPriority, process.scheduler,
// process.execCPUAffinity, linux.personality and linux.memoryPolicy. The init
// and every `exec`'d process apply them to themselves (one file each:
// io_priority.cpp, scheduler.cpp, cpu_affinity.cpp, personality.cpp,
// memory_policy.cpp). Errors name the field and the kernel's errno.
#pragma once

#include <string_view>

#include "spec/config.hpp"
#include "sys/error.hpp"

namespace berth::linux {

// ioprio_set(IOPRIO_WHO_PROCESS, self). IOPRIO_CLASS_RT needs CAP_SYS_ADMIN
// (or CAP_SYS_NICE) in the initial user namespace.
Result<void> apply_io_priority(const spec::IoPriority &priority);

// sched_setattr(self) with every field of process.scheduler (absent ones are
// 0, as config.md says). SCHED_FIFO/SCHED_RR need CAP_SYS_NICE (or an
// RLIMIT_RTPRIO) and SCHED_DEADLINE full affinity and CAP_SYS_NICE.
Result<void> apply_scheduler(const spec::Scheduler &scheduler);

// sched_setaffinity(self) to the CPUs of a list such as "0-3,7". `field` is
// the spec's name for the list, for errors ("process.execCPUAffinity.final").
Result<void> apply_cpu_list(std::string_view list, std::string_view field);

// process.execCPUAffinity.initial, for the runtime process that is about to
// clone the container's process (which inherits it) before that process
// joins the container's cgroup. Nothing when it is absent or empty.
Result<void> apply_initial_cpu_affinity(const spec::Process &process);

// personality(2): execution domain LINUX or LINUX32 (uname -m then reports the
// 32-bit machine). Kept across execve.
Result<void> apply_personality(const spec::Personality &personality);

// set_mempolicy(2) for the process (kept across fork and execve).
Result<void> apply_memory_policy(const spec::MemoryPolicy &policy);

// All of them in the order that works: ioPriority and scheduler while the
// process still has its capabilities, personality and memoryPolicy, then
// execCPUAffinity.final (the process is in its cgroup by then, whose cpuset
// would otherwise have replaced it). Runs after the process is placed in its
// cgroup and before capabilities are dropped and seccomp is loaded.
Result<void> apply_process_attributes(const spec::Process &process,
                                      const spec::Personality *personality,
                                      const spec::MemoryPolicy *memory_policy);

} // namespace berth::linux
