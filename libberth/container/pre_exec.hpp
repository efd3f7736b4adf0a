// The steps that every process berth places in a container takes right before
// it becomes the user's program, whether it is the container's init or an
// `exec`'d process: the same order, the same defences.
#pragma once

#include <string>
#include <vector>

#include "spec/config.hpp"
#include "sys/error.hpp"

namespace berth::container {

// CVE-2019-5736: until the execve this is berth's code running next to the
// container's processes. Non-dumpable, its /proc entries (exe, mem, fd/) belong
// to the host's root and refuse ptrace-mode access; execve makes the container's
// program dumpable again.
Result<void> become_non_dumpable();

// process.apparmorProfile and process.selinuxLabel apply from the next execve;
// written through the container's procfs (checked to be procfs) while the
// process still has its privileges.
Result<void> apply_lsm_labels(const spec::Process &process);

// Right after clone the process holds copies of all of berth's fds (the state
// directory whose lock serializes commands, the caller's log file, ...): closes
// every fd from 3 + preserve_fds on except those in `keep` (-1 entries ignored).
Result<void> close_fds_except(unsigned preserve_fds, std::vector<int> keep);

// CVE-2024-21626: only stdio and the --preserve-fds ones reach the program.
Result<void> seal_inherited_fds(unsigned preserve_fds);

// execve's argv/envp: pointers into `strings`, null-terminated.
std::vector<char *> c_strings(const std::vector<std::string> &strings);

} // namespace berth::container
