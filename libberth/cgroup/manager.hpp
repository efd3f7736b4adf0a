// One container's cgroup: a directory in every hierarchy of the host, created
// by berth (and only then removed by it). Works the same on v1, v2 and hybrid
// hosts; the backends differ only in the files they write.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cgroup/hierarchy.hpp"
#include "spec/config.hpp"
#include "sys/error.hpp"
#include "sys/unique_fd.hpp"
#include "json/value.hpp"

namespace berth::cgroup {

// Statistics for `events --stats`, in runc's JSON shape (see stats.cpp).
struct Stats {
  json::Value data; // {"cpu":{...},"memory":{...},"pids":{...},"blkio":{...},"hugetlb":{...}}
};

class Manager {
public:
  // The cgroup for linux.cgroupsPath (absolute: from each hierarchy's root;
  // relative: from berth's own cgroup there; absent: "<id>" relative).
  static Result<Manager> for_container(const spec::Config &config, const std::string &id);
  // The same on given hierarchies (discover_hierarchies() or a subset of them).
  static Result<Manager> for_container(const HostHierarchies &host, const spec::Config &config,
                                       const std::string &id);
  // --systemd-cgroup: the cgroup of the scope linux.cgroupsPath names
  // ("slice:prefix:name"), which systemd creates when
  // place_in_systemd_scope() asks for it; no directory exists before.
  static Result<Manager> for_systemd_scope(const spec::Config &config, const std::string &id);
  // A manager for a cgroup recorded in state.json by describe().
  static Result<Manager> from_description(const json::Value &description);

  // Creates the directories that do not exist yet (parents too; v2: enables the
  // needed controllers in each parent's cgroup.subtree_control) and remembers
  // which it created.
  Result<void> create();
  // Applies a new container's linux.resources: every field given, and the
  // device rules always (the config's, then the default devices; on v2 as an
  // eBPF program), so that a config without rules still denies the rest.
  Result<void> apply(const spec::Resources &resources);
  // `update`: only the fields given (device rules only when there are some),
  // honouring memory.checkBeforeUpdate.
  Result<void> update(const spec::Resources &resources);
  // Places a process in every hierarchy (the init, before it runs user code).
  Result<void> add_process(pid_t pid);
  // --systemd-cgroup, once the init exists (instead of create() and
  // add_process()): asks systemd for the scope holding `pid` (Delegate=yes,
  // the limits systemd has properties for), then creates the directories
  // systemd did not (hierarchies it does not manage), places `pid` in every
  // hierarchy and applies `resources` (when given) to the scope's files.
  Result<void> place_in_systemd_scope(pid_t pid, const spec::Resources *resources);
  // Whether systemd manages the cgroup (a scope berth asked for).
  bool systemd_managed() const;
  // After create(), when the unified hierarchy is the container's only one
  // (pure v2): an O_PATH|O_DIRECTORY fd of the cgroup for clone3's
  // CLONE_INTO_CGROUP, owned by the manager. -1 otherwise (v1 and hybrid
  // hosts), where add_process() places the init.
  int clone_into_fd() const;

  // For `exec`: a manager that places processes in this cgroup or in its
  // sub-cgroups (`exec --cgroup`). `sub_paths` maps a controller to a path
  // below the container's cgroup, taken in the hierarchy that owns the
  // controller; the "" entry applies to every hierarchy no controller named.
  // Each directory must exist already: exec never creates one. Only
  // add_process() and clone_into_fd() (opened here on a pure v2 host) are
  // meant for the result; it owns no directory and destroy() removes nothing.
  Result<Manager> for_exec(const std::map<std::string, std::string> &sub_paths) const;

  Result<void> freeze();
  Result<void> thaw();
  Result<bool> frozen() const;
  // For create: an error naming the cgroup when it is frozen already (by its
  // own freezer or an ancestor's): a process placed there could never run.
  Result<void> check_not_frozen() const;
  // For create, with a realtime process.scheduler (`policy`): an error when the
  // container's v1 cpu cgroup has no realtime runtime (cpu.rt_runtime_us 0, what
  // a new one starts with), where sched_setattr would fail with a bare EPERM.
  Result<void> check_realtime_runtime(std::string_view policy) const;
  // For a kill: lets the container's processes run again so that a pending
  // SIGKILL takes them, without waiting. Thaws the container's freezer, and
  // when an ancestor's freezer holds them (something else froze it), moves
  // them to the freezer hierarchy's root, which is never frozen, instead of
  // thawing a cgroup that is not the container's.
  Result<void> release_for_kill();
  // Every process in the cgroup (and its descendants).
  Result<std::vector<pid_t>> pids() const;
  // Signals every process (cgroup.kill on v2 for SIGKILL when available).
  Result<void> signal_all(int signal) const;
  Result<Stats> stats() const;
  // memory.events oom_kill (v2) or memory.oom_control oom_kill (v1).
  Result<std::uint64_t> oom_kill_count() const;

  // Kills whatever is left (thawing a frozen cgroup first so the kill lands),
  // waits for it to empty, stops the systemd scope (once it was asked for),
  // and removes the directories berth created, deepest first. Never removes
  // one that existed before create().
  Result<void> destroy();

  // For state.json: the paths per hierarchy and which ones berth created;
  // under --systemd-cgroup also the scope ("systemd": {"slice", "prefix",
  // "name", "unit"}).
  json::Value describe() const;

  // Defined (as = default) in manager.cpp, where Impl is a complete type.
  Manager(Manager &&) noexcept;
  Manager &operator=(Manager &&) noexcept;
  ~Manager();

private:
  Manager() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace berth::cgroup
