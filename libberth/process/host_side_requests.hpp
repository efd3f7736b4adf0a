// What the init of a container with a user namespace asks berth for while it
// sets up the rootfs, because only the host's credentials can do it
// (linux/host_side.hpp): SyncMessage::HostBindSource, an O_PATH fd of a bind
// source only the host's root can reach; SyncMessage::HostDeviceNode, a detached
// mount of a node for a linux.devices entry the host has no node for. The
// protocol is the idmapped trees' (idmapped_trees.hpp): the init sends the
// entry's index, berth replies with the fd or with Failed and the reason.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <string_view>

#include "process/init.hpp"
#include "process/sync_channel.hpp"
#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace berth::process {

// The init's side: linux::RootfsOptions::host_bind_source and host_device_node.
std::function<Result<UniqueFd>(std::size_t index)>
host_bind_source_requester(const SyncChannel &init_end);
std::function<Result<UniqueFd>(std::size_t index)>
host_device_node_requester(const SyncChannel &init_end);

// berth's side, for one request of type `type` (`payload` is the index):
// replies with the fd, or with Failed and the error, which the init then
// reports as its own. Only a failure to talk to the init is returned.
Result<void> serve_host_side_request(const InitContext &ctx, pid_t init_pid, SyncMessage type,
                                     std::string_view payload, const SyncChannel &berth_end);

} // namespace berth::process
