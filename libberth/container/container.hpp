// The container lifecycle, as the CLI's subcommands see it (runtime.md's
// operations plus run and list). Every function works on the state directory
// <root>/<id>; commands on one id are serialized by a lock there.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "spec/config.hpp"
#include "sys/error.hpp"

namespace berth::container {

// The error for a command that needs a live container, in the words engines
// look for: containerd's shim takes "container not running" after a kill to
// mean that the process is already gone.
Error container_not_running(const std::string &id);

struct GlobalOptions {
  std::string root = "/run/berth"; // --root (default: see rootless.hpp)
  bool systemd_cgroup = false;     // --systemd-cgroup (a systemd scope: see create.cpp)
  // --rootless, resolved (auto: see rootless.hpp): a cgroup that cannot be
  // created for lack of delegation is left out (see create_cgroup.cpp).
  bool rootless = false;
  std::string criu = "criu"; // --criu: checkpoint/restore's criu(8), a name or a path
};

struct CreateOptions {
  std::string id;
  std::string bundle = ".";    // --bundle|-b
  std::string pid_file;        // --pid-file, empty for none
  std::string console_socket;  // --console-socket, empty for none
  bool no_pivot = false;       // --no-pivot
  bool no_new_keyring = false; // --no-new-keyring
  unsigned preserve_fds = 0;   // --preserve-fds
  // Sockets passed by systemd socket activation (LISTEN_FDS): fds 3..3+N-1, kept
  // before the --preserve-fds ones, and announced to the container in its env.
  unsigned listen_fds = 0;
  // The caller's NOTIFY_SOCKET: the container gets a socket of its own, and
  // start forwards its READY=1 here, as runc does (notify_socket.hpp).
  std::string notify_socket;
};

struct RunOptions {
  CreateOptions create;
  bool detach = false; // --detach|-d
  bool keep = false;   // --keep
};

// What checkpoint and restore both take (runc's flags of the same names).
struct CriuFlags {
  std::string image_path;       // --image-path; default ./checkpoint
  std::string work_path;        // --work-path (criu's logs); default the image path
  bool tcp_established = false; // --tcp-established
  bool file_locks = false;      // --file-locks
  bool ext_unix_sk = false;     // --ext-unix-sk
  bool shell_job = false;       // --shell-job
};

struct CheckpointOptions {
  std::string id;
  CriuFlags criu;
  bool leave_running = false; // --leave-running
};

// restore: a new container `create.id` from the bundle, its processes those of
// the images. create's --bundle, --pid-file, --console-socket and --no-pivot
// apply; with `detach` it returns once they run, otherwise it waits as run does.
struct RestoreOptions {
  CreateOptions create;
  CriuFlags criu;
  bool detach = false; // --detach|-d
};

// `exec`: one more process in a running (or created) container. The process
// is `process_file` (a spec Process JSON) when given; otherwise the
// container's config.process with `args` and the flags below laid over it, as
// runc does (see exec_process.cpp).
struct ExecOptions {
  std::string id;
  std::string process_file;                    // --process, empty for none
  std::vector<std::string> args;               // the command, without --process
  bool tty = false;                            // --tty|-t
  bool detach = false;                         // --detach|-d
  std::string pid_file;                        // --pid-file, empty for none
  std::string console_socket;                  // --console-socket, empty for none
  std::optional<std::string> cwd;              // --cwd
  std::vector<std::string> env;                // --env|-e K=V, in order
  std::optional<std::uint32_t> uid;            // --user UID[:GID]
  std::optional<std::uint32_t> gid;            //
  std::vector<std::uint32_t> additional_gids;  // --additional-gids|-g
  std::vector<std::string> capabilities;       // --cap
  std::optional<bool> no_new_privileges;       // --no-new-privs
  std::optional<std::string> process_label;    // --process-label (SELinux)
  std::optional<std::string> apparmor_profile; // --apparmor
  unsigned preserve_fds = 0;                   // --preserve-fds
  // --cgroup: "" -> a path below the container's cgroup for every hierarchy;
  // a controller -> the path in the hierarchy owning it (v1).
  std::map<std::string, std::string> cgroup_paths;
  bool ignore_paused = false; // --ignore-paused
};

enum class Status { Creating, Created, Running, Paused, Stopped };
std::string_view status_name(Status status);

// What `state` prints: the spec's state JSON, plus what `list` shows.
struct State {
  std::string oci_version;
  std::string id;
  Status status = Status::Stopped;
  int pid = 0; // 0 when stopped
  std::string bundle;
  spec::StringMap annotations;
  std::string created; // RFC 3339, for list
  std::string owner;   // user name or uid, for list
  std::string to_json() const;
};

// Valid ids: not empty, at most 1024 bytes, not "." or "..", no '/', no NUL, and
// only [A-Za-z0-9_+.-] so that an id is always a safe directory name.
Result<void> validate_id(std::string_view id);

Result<void> create(const GlobalOptions &global, const CreateOptions &options);
Result<void> start(const GlobalOptions &global, const std::string &id);
Result<State> state(const GlobalOptions &global, const std::string &id);
Result<void> kill(const GlobalOptions &global, const std::string &id, int signal, bool all);
Result<void> remove(const GlobalOptions &global, const std::string &id, bool force);
// Creates, starts and waits; returns the container's exit code (128+N when killed
// by signal N). With detach it returns 0 once the container runs.
Result<int> run(const GlobalOptions &global, const RunOptions &options);
Result<std::vector<State>> list(const GlobalOptions &global);
// Runs a process in the container; returns its exit code (128+N when killed by
// signal N), or 0 with detach once it has been executed.
Result<int> exec(const GlobalOptions &global, const ExecOptions &options);

// Dumps a running container's processes into images with criu(8). Unless
// `leave_running`, criu kills them and the container is deleted, as runc does.
Result<void> checkpoint(const GlobalOptions &global, const CheckpointOptions &options);
// Creates a container from the bundle whose processes criu restores from the
// images. Returns the exit code as run does, or 0 with detach once it runs.
Result<int> restore(const GlobalOptions &global, const RestoreOptions &options);

// cgroup operations (runc's pause, resume, update, ps, events).
Result<void> pause(const GlobalOptions &global, const std::string &id);
Result<void> resume(const GlobalOptions &global, const std::string &id);
// Applies new limits to a running (or created, or paused) container; the
// fields absent from `resources` are left as they are.
Result<void> update(const GlobalOptions &global, const std::string &id,
                    const spec::Resources &resources);
// Host pids of every process in the container.
Result<std::vector<int>> processes(const GlobalOptions &global, const std::string &id);

// One sample for `events`: statistics in runc's JSON shape and the number of
// OOM kills so far (an increase between samples is an "oom" event).
struct EventSample {
  std::string stats_json; // the "data" of a {"type":"stats"} event
  std::uint64_t oom_kills = 0;
  Status status = Status::Stopped;
};
Result<EventSample> sample_events(const GlobalOptions &global, const std::string &id);

} // namespace berth::container
