// Creates the container's init process and walks it through setup: berth's side
// of the conversation on the sync channel.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "container/init.hpp"
#include "sys/unique_fd.hpp"

namespace berth::container {

// A child berth forked and must reap: killed and reaped on destruction unless
// released, so a failed create never leaves a process behind.
class ChildProcess {
public:
  ChildProcess() = default;
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  ChildProcess(ChildProcess &&other) noexcept : pid_(std::exchange(other.pid_, 0)) {}
  ChildProcess &operator=(ChildProcess &&other) noexcept {
    std::swap(pid_, other.pid_);
    return *this;
  }
  ~ChildProcess() { kill_and_reap(); }

  pid_t pid() const { return pid_; }
  pid_t release() { return std::exchange(pid_, 0); }
  void kill_and_reap();

private:
  pid_t pid_ = 0;
};

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

} // namespace berth::container
