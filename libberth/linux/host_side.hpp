// What the init of a container with a user namespace cannot do itself, done by
// berth with the host's credentials: it runs in berth (the init's parent), and
// the init receives the result as an fd (process/host_side_requests.hpp).
#pragma once

#include <sys/types.h>

#include <string>

#include "spec/config.hpp"
#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace berth::linux {

// An O_PATH fd of the absolute host path `path`, looked up with the host's
// root credentials but inside the mount namespace of process `pid` (a forked
// helper enters it): the init can bind it as if it had opened it itself, and
// what the kernel locked when that namespace was made stays locked. For a bind
// source below a directory only the host's root can search.
Result<UniqueFd> open_in_mount_namespace_of(pid_t pid, const std::string &path);

// A detached mount of one new device node made as `device` says (type, major,
// minor, fileMode) and owned by `uid`:`gid` as the host sees them, on a tmpfs
// of its own mounted nosuid,noexec and never attached anywhere on the host: for
// a linux.devices entry the host has no node for, where the user namespace
// refuses mknod. The node is usable (its filesystem belongs to the host's user
// namespace) and goes away with the last mount of it.
Result<UniqueFd> make_detached_device_node(const spec::Device &device, uid_t uid, gid_t gid);

} // namespace berth::linux
