// --pid-file of create, run and exec.
#pragma once

#include <sys/types.h>

#include <string>

#include "sys/error.hpp"

namespace berth::container {

// Written atomically (temporary file + rename) so that an engine polling for the
// pid file never reads a partial pid. A relative path is relative to the cwd.
Result<void> write_pid_file(const std::string &path, pid_t pid);

} // namespace berth::container
