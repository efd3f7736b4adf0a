// linux.netDevices: host network interfaces handed to the container.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>

#include "spec/config.hpp"
#include "sys/error.hpp"

namespace berth::linux {

// Moves each host interface (the map's key) into the network namespace of
// process `pid` (the container's init, set up and waiting for start), renamed
// to its `name` when given, in one RTM_NEWLINK (IFLA_NET_NS_FD + IFLA_IFNAME).
// The interface's permanent global addresses, which the kernel drops on the
// move, are added back inside, and the interface is brought up there.
// Runs in berth, in the host's network namespace, during create. Errors name
// /linux/netDevices/<name>: an interface the host does not have, a container
// whose network namespace is the host's, a name the container already uses.
// A failure gives back the interfaces already moved (under their host names,
// with their addresses). Once the container exists nothing moves them back:
// when the container's network namespace
// goes away, the kernel returns physical interfaces to the host's initial
// network namespace and destroys virtual ones (veth, dummy, macvlan, ...).
// Brings up "lo" of the calling process' network namespace, as runc does in
// a network namespace it creates (one joined by path is left as it is): a new
// namespace's loopback is down, and 127.0.0.1 unreachable.
Result<void> bring_up_loopback();

Result<void> move_net_devices(const std::map<std::string, spec::NetDevice> &devices, pid_t pid);

} // namespace berth::linux
