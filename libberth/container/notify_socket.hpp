// NOTIFY_SOCKET (sd_notify(3)) passed through as runc does: a service manager
// that started berth with NOTIFY_SOCKET learns that the container is ready when
// the container's own program says so, not when berth returns. The container
// gets a datagram socket of its own, <state>/notify/notify.sock, bound into it
// at /run/notify and named in its NOTIFY_SOCKET; `start` forwards its READY=1
// (with MAINPID, the init's host pid) to the caller's socket.
#pragma once

#include <string>

#include "container/state_dir.hpp"
#include "spec/config.hpp"
#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace berth::container {

inline constexpr const char *kContainerNotifySocket = "/run/notify/notify.sock";

// create: makes <state>/notify and adds its bind mount and NOTIFY_SOCKET to
// the container's config.
Result<void> prepare_notify_socket(const StateDir &dir, spec::Config &config);

// start: binds the container's socket (before the init execs, so no message is
// lost).
Result<UniqueFd> bind_notify_socket(const StateDir &dir);

// start: waits for a datagram with READY=1 from the container and forwards it
// to `host_socket`; returns early, without error, when the init exits first.
Result<void> forward_ready(int socket_fd, const std::string &host_socket, pid_t init_pid);

} // namespace berth::container
