#include "process/child_process.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <cerrno>

namespace berth::process {

void ChildProcess::kill_and_reap() {
  if (pid_ <= 0)
    return;
  ::kill(pid_, SIGKILL);
  while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
  pid_ = 0;
}

} // namespace berth::process
