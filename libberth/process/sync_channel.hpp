// The one channel between berth and the container's init while it is being set
// up: a SOCK_SEQPACKET socketpair, so every message arrives whole and a closed
// peer reads as end-of-file (the init died) instead of hanging.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace berth::process {

enum class SyncMessage : std::uint8_t {
  WriteIdMaps = 1, // init -> berth: my user namespace is ready for uid_map/gid_map
  IdMapsWritten,   // berth -> init
  InitPid,         // staged spawn -> berth: the pid of the real init (payload)
  Ready,           // init -> berth: set up, blocked before exec (payload: warnings)
  Failed,          // init -> berth: setup failed (payload: the error)
  Commit,          // berth -> init: state recorded, wait for start
  Placed,          // berth -> init: you are in the container's cgroup now
  IdmappedTree,    // init -> berth: build config.mounts[N] (payload: N); berth -> init: its fd
  // init -> berth: namespaces made, mounts done, pivot_root not yet: run the
  // prestart and createRuntime hooks (hooks.hpp)
  RunRuntimeHooks,
  RuntimeHooksDone, // berth -> init (payload: the init's pid in berth's pid namespace)
  // berth -> init, for run only (no start socket): exec now. The init then
  // writes an error to the channel, or the exec closes it (close-on-exec).
  Start,
  // init -> berth, in a user namespace: open config.mounts[N].source as the
  // host's root (payload: N); berth -> init: its O_PATH fd (host_side.hpp)
  HostBindSource,
  // init -> berth, in a user namespace: make a node for linux.devices[N], which
  // the host lacks (payload: N); berth -> init: a detached mount of it
  HostDeviceNode,
};

class SyncChannel {
public:
  // A connected pair: [0] for berth, [1] for the init.
  static Result<std::pair<SyncChannel, SyncChannel>> make_pair();
  explicit SyncChannel(UniqueFd fd) : fd_(std::move(fd)) {}

  Result<void> send(SyncMessage type, std::string_view payload = {}) const;
  // Receives one message; end-of-file (the peer is gone) is an error.
  Result<std::pair<SyncMessage, std::string>> receive() const;
  // The same with end-of-file as nullopt: the peer's end is close-on-exec, so
  // after Commit end-of-file means its execve succeeded.
  Result<std::optional<std::pair<SyncMessage, std::string>>> receive_or_eof() const;
  // Receives one message and checks its type; a Failed message becomes its error.
  Result<std::string> expect(SyncMessage type) const;
  // send and expect for a message carrying an fd (SCM_RIGHTS).
  Result<void> send_fd(SyncMessage type, int fd) const;
  Result<UniqueFd> expect_fd(SyncMessage type) const;

  // The child's last word when its setup failed: the error as Failed, then
  // _exit(status). For the init and the exec'd process before their execve.
  [[noreturn]] void report_and_exit(const Error &error, int status) const;

  int fd() const { return fd_.get(); }
  void close() { fd_.reset(); }

private:
  UniqueFd fd_;
};

} // namespace berth::process
