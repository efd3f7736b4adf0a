// SELinux: process.selinuxLabel (the exec context) and linux.mountLabel (the
// context= of the filesystems berth creates). When SELinux is disabled both are
// ignored, as runc does, so one config serves hosts with and without it.
#pragma once

#include <string>

#include "sys/error.hpp"

namespace berth::lsm {

// libselinux's is_selinux_enabled(), asked once.
bool selinux_enabled();

// Sets the context the next execve of this thread runs in
// (/proc/thread-self/attr/exec, verified to be on procfs). No-op when disabled.
Result<void> selinux_set_exec_label(const std::string &label);

// The mount data with `context="<label>"` added, for the filesystem types that
// take a context (tmpfs, mqueue, devpts, ...); `data` unchanged when SELinux is
// disabled, the label is empty or the type takes none.
std::string selinux_mount_data(const std::string &fstype, const std::string &data,
                               const std::string &label);

} // namespace berth::lsm
