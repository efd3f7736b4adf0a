// Finding and running criu(8), the program that checkpoints and restores.
#pragma once

#include <string>
#include <vector>

#include "cgroup/manager.hpp"
#include "container/container.hpp"
#include "container/criu_args.hpp"
#include "sys/error.hpp"

namespace berth::container {

// The criu to run: `criu` is the global --criu (default "criu"), a path or a
// name looked up in PATH and then in /usr/sbin and /sbin, where Debian puts it
// and which an engine's PATH may lack. Missing: one line saying so.
Result<std::string> find_criu(const std::string &criu);

// The image and work directories of `flags`, made absolute (criu changes into
// the work directory), in CriuOptions. The work directory is created when
// missing, and so is the image directory for a dump; restore needs it to exist.
Result<CriuOptions> criu_directories(const CriuFlags &flags, bool dump);

// Where criu runs, for restore: in the new container's cgroup, so that the
// tasks it restores are born there; and in a mount namespace of its own where
// the rootfs is bound at `root_target`, since criu wants --root to be a mount
// point. That bind dies with criu's namespace: nothing is left to unmount.
struct CriuPlacement {
  cgroup::Manager *cgroup = nullptr;
  std::string rootfs;      // bound at root_target when set
  std::string root_target; // an existing empty directory
};

// Runs criu (args[0] its path) and waits for it. A failure names the last
// error lines of `log_path` (criu's -o log) and the log itself.
Result<void> run_criu(const std::vector<std::string> &args, const std::string &log_path,
                      const CriuPlacement &placement = {});

} // namespace berth::container
