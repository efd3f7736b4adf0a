// The idmapped mounts of config.mounts, built by berth for the init: the init
// asks for entry N when it reaches it (SyncMessage::IdmappedTree), berth builds
// the detached tree on the host's side (linux/idmapped_mount.hpp) and passes its
// fd back, or the reason it could not.
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

// The init's side: what linux::RootfsOptions::idmapped_tree calls.
std::function<Result<UniqueFd>(std::size_t index)>
idmapped_tree_requester(const SyncChannel &init_end);

// berth's side, for one request (`payload` is the index): replies with the
// tree, or with Failed and the error, which the init then reports as its own.
// Only a failure to talk to the init is returned.
Result<void> serve_idmapped_tree(const InitContext &ctx, pid_t init_pid, std::string_view payload,
                                 const SyncChannel &berth_end);

} // namespace berth::process
