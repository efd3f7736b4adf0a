// `exec`: which process runs (exec_process.cpp: the config's process with the
// command line laid over it). berth's side is exec.cpp; the children it
// clones are process/exec_child.hpp.
#pragma once

#include <string>

#include "container/container.hpp"
#include "spec/config.hpp"
#include "sys/error.hpp"

namespace berth::container {

// The container's config.process (`base`) with the command line laid over it,
// as runc does: the args replace the config's, --env entries replace those with
// the same name or are appended, --user, --cwd, --no-new-privs and the labels
// replace, --additional-gids are appended, and each --cap joins the bounding,
// effective and permitted sets (and the ambient one when the config makes it
// inheritable: the inheritable set itself never grows, CVE-2022-29162);
// process.terminal is --tty. Errors name the flag at fault.
Result<spec::Process> overlay_exec_flags(spec::Process base, const ExecOptions &options);

// With --process, the flags that shape the process (and a command) are
// refused: the process file is the whole process.
Result<void> check_no_overlay_flags(const ExecOptions &options);

} // namespace berth::container
