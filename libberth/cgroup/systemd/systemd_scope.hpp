// Asking systemd's manager, over the system bus, to start a container's scope
// and to stop it: the part of `--systemd-cgroup` that needs a running systemd.
// Both wait for systemd's job to finish (its JobRemoved signal), so that the
// scope's cgroup exists, holding the init, when start_scope returns.
#pragma once

#include <chrono>
#include <string_view>

#include "cgroup/systemd/systemd_dbus.hpp"
#include "sys/error.hpp"

namespace berth::cgroup::systemd {

// How long one start or stop may take, connecting and authenticating included.
inline constexpr std::chrono::milliseconds kBusTimeout = std::chrono::seconds(30);

// The match rule for the manager's JobRemoved signals.
inline constexpr std::string_view kJobRemovedMatch =
    "type='signal',sender='org.freedesktop.systemd1',path='/org/freedesktop/systemd1',"
    "interface='org.freedesktop.systemd1.Manager',member='JobRemoved'";

// StartTransientUnit for `scope` on the system bus (dbus::system_bus_address()),
// then its job's JobRemoved, whose result must be "done". Errors are one line
// naming the unit and what systemd said.
Result<void> start_scope(const TransientScope &scope,
                         std::chrono::milliseconds timeout = kBusTimeout);

// StopUnit(unit, "replace") and its job's end. A unit systemd no longer knows
// (a scope goes away by itself once its processes are gone) is stopped.
Result<void> stop_unit(std::string_view unit, std::chrono::milliseconds timeout = kBusTimeout);

} // namespace berth::cgroup::systemd
