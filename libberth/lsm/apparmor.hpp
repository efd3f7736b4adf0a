// AppArmor: process.apparmorProfile through the kernel's attr interface (no
// library): the profile is set for the next execve of the calling thread.
#pragma once

#include <string>

#include "sys/error.hpp"

namespace berth::lsm {

// True when this kernel runs AppArmor (/sys/module/apparmor/parameters/enabled is "Y").
bool apparmor_enabled();

// Writes "exec <profile>" to /proc/thread-self/attr/apparmor/exec (or, on
// kernels without the per-LSM directory, attr/exec), through an fd verified to
// be on procfs. Fails when AppArmor is not enabled.
Result<void> apparmor_set_exec_profile(const std::string &profile);

} // namespace berth::lsm
