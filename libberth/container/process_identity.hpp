// A process named by pid *and* start time: a pid alone may be reused by a
// stranger after the container's init has died, and state/kill/delete must never
// act on that stranger.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace berth::container {

struct ProcessIdentity {
  pid_t pid = 0;
  std::uint64_t start_time = 0; // field 22 of /proc/<pid>/stat, in clock ticks since boot
};

// The start time of a live (non-zombie) process, or nullopt when there is none.
std::optional<std::uint64_t> live_process_start_time(pid_t pid);

// True when the process still exists, is not a zombie, and is the same process.
bool is_alive(const ProcessIdentity &process);

// A pidfd for the process, checked (after opening, so it cannot race) to be the
// same process; nullopt when it is gone.
std::optional<UniqueFd> open_pidfd(const ProcessIdentity &process);

// Waits until the process behind the pidfd has exited (it need not be our child).
Result<void> wait_for_exit(int pidfd, int timeout_ms);

} // namespace berth::container
