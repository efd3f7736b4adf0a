// The container's init, from the moment it is cloned until it execs the user's
// program. It never returns: it execs, or reports its error to berth and exits.
#pragma once

#include <linux/sched.h>

#include <cstdint>
#include <string>

#include "process/namespaces.hpp"
#include "process/sync_channel.hpp"
#include "seccomp/filter.hpp"
#include "spec/config.hpp"

namespace berth::process {

// What create's options say to the init (container.hpp's CreateOptions).
struct InitOptions {
  std::string id;
  bool no_pivot = false;       // --no-pivot
  bool no_new_keyring = false; // --no-new-keyring
  unsigned preserve_fds = 0;   // --preserve-fds
  unsigned listen_fds = 0;     // LISTEN_FDS (socket activation)
  std::string console_socket;  // --console-socket's path, for errors
};

struct InitContext {
  const spec::Config &config;
  InitOptions options;
  std::string bundle; // absolute
  std::string rootfs; // absolute
  const NamespacePlan &namespaces;
  const SyncChannel &channel; // the init's end
  // `start` connects here to release the init; -1 for run, which releases it
  // over the channel (SyncMessage::Start).
  int start_listener = -1;
  // The container's cgroup for clone3's CLONE_INTO_CGROUP, or -1 when berth
  // places the init after clone and says so with SyncMessage::Placed.
  int cgroup_fd = -1;
  // linux.seccomp compiled by berth before the clone (the init has its own copy
  // of this memory), or null; and, when it notifies, the connection to its
  // listenerPath, opened by berth because the init cannot reach host paths.
  const seccomp::Program *seccomp = nullptr;
  int seccomp_listener = -1;
  // With process.terminal, where the init sends the terminal's master: the
  // connection to --console-socket (opened by berth, as for the seccomp
  // listener) or berth's own socketpair for a foreground run.
  int console_socket = -1;
};

// Entry point of the init (or, for a staged spawn, of its second stage):
// `namespaces_entered` says whether the joined namespaces are already entered.
[[noreturn]] void run_init(const InitContext &ctx, bool namespaces_entered);

// Entry point of the first stage of a staged spawn (see spawn.cpp).
[[noreturn]] void run_staging_process(const InitContext &ctx);

} // namespace berth::process
