// The state directory of one container: <root>/<id>/ holding state.json and the
// start socket. Every command on an id holds an flock on the directory's fd for
// its whole run, which serializes concurrent commands on one id.
#pragma once

#include <sys/types.h>
#include <sys/un.h>

#include <cstdint>
#include <string>

#include "container/process_identity.hpp"
#include "spec/config.hpp"
#include "sys/error.hpp"
#include "sys/unique_fd.hpp"
#include "json/value.hpp"

namespace berth::container {

inline constexpr const char *kStateFile = "state.json";
inline constexpr const char *kStartSocket = "start.sock";

// What berth records in state.json (a superset of the spec's state).
struct StoredState {
  std::string oci_version;
  std::string id;
  std::string bundle; // absolute
  std::string rootfs; // absolute
  ProcessIdentity init;
  bool creating = true; // create has not finished yet
  bool started = false; // start (or run) released the init
  bool own_pid_namespace = false;
  std::string created; // RFC 3339
  uid_t owner = 0;
  spec::StringMap annotations;
  // cgroup::Manager::describe() of the container's cgroup; null when it has none.
  // Under --systemd-cgroup it names the scope ("systemd"), which delete stops.
  json::Value cgroup;
  // The caller's NOTIFY_SOCKET (sd_notify) that `start` forwards READY=1 to;
  // empty when there was none (notify_socket.hpp).
  std::string notify_socket;
  // The hooks that outlive create (poststart for start, poststop for delete),
  // as create read them: runtime.md, "Any updates to config.json after this
  // step MUST NOT affect the container". The other kinds stay empty here.
  spec::Hooks hooks;
  // Without a mount namespace: the mount id of the rootfs bind the init made
  // in the host's mount namespace, which delete detaches (host_rootfs_mount.hpp);
  // 0 otherwise.
  std::uint64_t host_rootfs_mount = 0;
  // And the mount that was at the rootfs before the init ran, recorded before
  // it runs: for a delete after a create killed before it could record the
  // bind, the mount on top of it then is that create's. 0 with a mount
  // namespace.
  std::uint64_t host_rootfs_mount_below = 0;
};

// SharedIfFree does not wait: opening fails with EWOULDBLOCK while another
// command (a create in progress) holds the lock, so `list` never hangs.
enum class LockMode { Shared, SharedIfFree, Exclusive };

class StateDir {
public:
  // Reserves <root>/<id> for a new container: fails with "already exists" when
  // the directory exists (whatever its state), and never touches it then.
  static Result<StateDir> reserve(const std::string &root, const std::string &id);
  // Opens and locks the directory of an existing container.
  static Result<StateDir> open(const std::string &root, const std::string &id, LockMode mode);

  StateDir(StateDir &&) = default;
  StateDir &operator=(StateDir &&) = default;
  // A reserved directory that was not committed is removed: a failed create
  // leaves nothing behind.
  ~StateDir();

  Result<void> write(const StoredState &state) const;
  Result<StoredState> read() const;
  // Removes the files and the directory (still under the lock).
  Result<void> destroy();
  // Keeps a reserved directory past this object's lifetime.
  void commit() { remove_on_destruction_ = false; }

  int fd() const { return dir_.get(); }
  const std::string &id() const { return id_; }
  // <root>/<id>, for messages.
  std::string path() const { return root_ + "/" + id_; }
  // The address of the start socket, through the directory's fd so that it
  // stays short whatever --root is (sun_path holds 108 bytes).
  struct sockaddr_un start_socket_address() const;

private:
  StateDir(UniqueFd root, UniqueFd dir, std::string root_path, std::string id)
      : root_fd_(std::move(root)), dir_(std::move(dir)), root_(std::move(root_path)),
        id_(std::move(id)) {}

  UniqueFd root_fd_;
  UniqueFd dir_;
  std::string root_;
  std::string id_;
  bool remove_on_destruction_ = false;
};

// "container "<id>" does not exist", and the test for it, in one place.
Error container_not_found(const std::string &id);
bool is_container_not_found(const Error &error, const std::string &id);

// A state root, container directory or state.json that another user could
// have written, or a state.json that is not a regular file: berth refuses it
// (errno EPERM) rather than act on what it says.
bool is_untrusted_state(const Error &error);

// Opens (creating it and its parents when missing) the state root directory;
// refused unless the caller owns it and only the caller can write it.
Result<UniqueFd> open_state_root(const std::string &root, bool create);

// Current time in RFC 3339 with nanoseconds, UTC.
std::string rfc3339_now();

} // namespace berth::container
