// A child process berth started and must reap, as an RAII object.
#pragma once

#include <sys/types.h>

#include <utility>

namespace berth::process {

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

} // namespace berth::process
