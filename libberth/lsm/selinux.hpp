// SELinux: process.selinuxLabel (the exec context) and linux.mountLabel (the
// context= of the filesystems berth creates). When SELinux is disabled both are
// ignored, as runc does, so one config serves hosts with and without it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sys/error.hpp"

namespace berth::lsm {

// libselinux's is_selinux_enabled(), asked once.
bool selinux_enabled();

// Sets the context the next execve of this thread runs in
// (/proc/thread-self/attr/exec, verified to be on procfs). No-op when disabled
// or the label is empty.
Result<void> selinux_set_exec_label(const std::string &label);

// Labels the directory `dir_fd` refers to (O_PATH will do: a mount fd from
// fsmount) with `label`, for the root of a filesystem that cannot take a
// context= (mqueue). No-op when disabled or the label is empty.
Result<void> selinux_label_directory(int dir_fd, const std::string &label);

// Whether berth gives a new filesystem of this type the mount label as a
// context= option: tmpfs, ramfs, devpts and overlay (see selinux.cpp for why
// these and not the others).
bool selinux_takes_mount_context(std::string_view fstype);

// The mount data (options joined by ',', as mount(2) takes them) with
// `context="<label>"` added for a type that takes it; `data` unchanged when the
// label is empty, the type takes none, or the data already has a context= or
// defcontext= (which a second context= would conflict with). Pure: it does not
// ask whether SELinux is enabled.
std::string selinux_format_mount_data(std::string_view fstype, const std::string &data,
                                      const std::string &label);
// The same for the options one by one (what fsconfig takes).
std::vector<std::string> selinux_format_mount_options(std::string_view fstype,
                                                      std::vector<std::string> options,
                                                      const std::string &label);

// selinux_format_mount_data / _options when SELinux is enabled; otherwise the
// data unchanged (a kernel without SELinux refuses context=).
std::string selinux_mount_data(const std::string &fstype, const std::string &data,
                               const std::string &label);
std::vector<std::string> selinux_mount_options(std::string_view fstype,
                                               std::vector<std::string> options,
                                               const std::string &label);

} // namespace berth::lsm
