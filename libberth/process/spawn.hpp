// Creates the container's init process and walks it through setup: berth's side
// of the conversation on the sync channel.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "process/child_process.hpp"
#include "process/init.hpp"
#include "sys/unique_fd.hpp"

namespace berth::process {

struct SpawnedInit {
  ChildProcess init;
  std::vector<std::string> warnings;
};

// Forks the init and runs the setup handshake up to Ready. `on_pid` is called as
// soon as the init's pid is known (create records it, so that a berth killed
// mid-create leaves something `delete --force` can find). `runtime_hooks` runs
// the prestart and createRuntime hooks when the init asks for them.
// `init_end` is the init's end of the channel: closed here once the init has it,
// so that an init that dies reads as end-of-file instead of a hang.
Result<SpawnedInit> spawn_init(const InitContext &ctx, const SyncChannel &berth_end,
                               SyncChannel &init_end,
                               const std::function<Result<void>(pid_t)> &on_pid,
                               const std::function<Result<void>()> &runtime_hooks = {});

} // namespace berth::process
