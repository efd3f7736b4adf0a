// The command lines berth gives criu(8) for `checkpoint` and `restore`, built
// without touching the system so that the unit tests can check them.
//
// Why the arguments are what they are:
// - --tree is the container's init: criu dumps it and every descendant.
// - --root is the container's rootfs: the root of its mount namespace.
// - A bind mount from the host cannot be dumped (criu does not know where its
//   source is): each is declared external under a key, its destination in
//   the container, and restore maps each key back to a directory of the host.
//   The container's cgroup mount without a cgroup namespace is such a bind
//   too (of the container's own cgroup directory).
// - --manage-cgroups=ignore: berth creates the restored container's cgroup
//   itself, as create does, and starts criu inside it, so the restored tasks
//   are born there; criu neither dumps nor recreates cgroups.
// - restore --restore-detached --restore-sibling: criu exits once the tasks
//   run, and the restored init is berth's child (a sibling of criu), so that
//   berth can wait for it as run does.
#pragma once

#include <string>
#include <vector>

#include "spec/config.hpp"
#include "sys/mountinfo.hpp"
#include "json/value.hpp"

namespace berth::container {

// One external mount: `key` names it in the images (the destination in the
// container); `host_path` is where its source is on the host (restore only).
struct ExternalMount {
  std::string key;
  std::string host_path;
};

// What checkpoint and restore share.
struct CriuOptions {
  std::string image_path; // --images-dir
  std::string work_path;  // --work-dir (logs go there); the image path when empty
  std::string root;       // --root
  std::vector<ExternalMount> external_mounts;
  bool tcp_established = false; // --tcp-established
  bool file_locks = false;      // --file-locks
  bool ext_unix_sk = false;     // --ext-unix-sk
  bool shell_job = false;       // --shell-job
};

inline constexpr const char *kCriuDumpLog = "dump.log";
inline constexpr const char *kCriuRestoreLog = "restore.log";

// `criu dump` of the tree of `init_pid`; with `leave_running` the tasks go on
// running afterwards (criu kills them otherwise).
std::vector<std::string> criu_dump_args(const std::string &criu, const CriuOptions &options,
                                        pid_t init_pid, bool leave_running);

// `criu restore`, writing the restored init's host pid to `pid_file`.
std::vector<std::string> criu_restore_args(const std::string &criu, const CriuOptions &options,
                                           const std::string &pid_file);

// The config's bind mounts (type "bind", or option "bind" or "rbind"), keyed by
// destination, with each source made absolute (a relative one is relative to
// the bundle).
std::vector<ExternalMount> bind_mounts_of(const spec::Config &config, const std::string &bundle);

// The cgroup mounts that are binds of a host cgroup directory (a cgroup or
// cgroup2 mount whose root is not the hierarchy's root), from the container
// init's mountinfo (mount points as the container sees them). Keys only.
std::vector<ExternalMount> cgroup_binds_of(const std::vector<sys::MountInfo> &mounts);

// The same keys for a restored container, mapped to its new cgroup's host
// directories: `hierarchies` is cgroup::Manager::describe()'s "hierarchies"
// (mount_point and path of each). On a pure v2 host the one hierarchy is
// bound at the cgroup mount's destination itself; otherwise (v1, hybrid) each
// hierarchy at destination/<the last component of its host mount point>, as
// the container's cgroup mount lays them out.
std::vector<ExternalMount> cgroup_binds_for_restore(const spec::Config &config,
                                                    const json::Value &hierarchies);

// One line from a criu log: its last error lines ("Error (...)" and what
// follows them), at most `max_lines`, joined with "; "; the log's last line
// when there is no error line.
std::string criu_log_summary(std::string_view log, std::size_t max_lines = 3);

} // namespace berth::container
