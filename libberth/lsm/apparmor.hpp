// AppArmor: process.apparmorProfile through the kernel's attr interface (no
// library): the profile is set for the next execve of the calling thread.
#pragma once

#include <string>
#include <string_view>

#include "sys/error.hpp"

namespace berth::lsm {

// True when this kernel runs AppArmor (/sys/module/apparmor/parameters/enabled
// is "Y"). Asked once and remembered: the first call must see the host's /sys,
// so make it before the container's mounts replace it (berth's feature gate
// does, in the parent, and the init inherits the answer).
bool apparmor_enabled();

// Writes "exec <profile>" to /proc/thread-self/attr/apparmor/exec (or, on
// kernels without the per-LSM directory, attr/exec), through an fd verified to
// be on procfs. An empty profile is no request and succeeds. Fails with
// "AppArmor is not enabled on this host" when AppArmor is not enabled, and
// names the profile when the kernel has none loaded by that name.
Result<void> apparmor_set_exec_profile(const std::string &profile);

// The file under a /proc/<tid>/attr directory (`attr_dir_fd`) that takes
// AppArmor's exec request: "apparmor/exec" where the kernel has the per-LSM
// directory (Linux 5.8+), else the shared "exec".
std::string apparmor_exec_attr(int attr_dir_fd);

// What the exec attr file is given for `profile`: "exec <profile>".
std::string apparmor_exec_request(std::string_view profile);

} // namespace berth::lsm
