// Which namespaces the container gets and how: new ones become clone flags,
// joined ones (linux.namespaces[].path) are opened by berth before the init
// exists, so a bad path fails before any side effect.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "spec/config.hpp"
#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace berth::process {

struct JoinedNamespace {
  spec::NamespaceType type;
  int clone_flag;
  std::string path;
  UniqueFd fd;
};

struct NamespacePlan {
  int new_flags = 0; // CLONE_NEW* of the namespaces to create
  // linux.timeOffsets, as /proc/<pid>/timens_offsets wants them; when set, the
  // time namespace is made with unshare, not clone3 (see make_time_namespace).
  std::string time_offsets;
  std::vector<JoinedNamespace> joined;

  bool creates(int flag) const { return (new_flags & flag) != 0; }
  bool joins(int flag) const;

  // Joining a user namespace, or creating one while joining others that belong
  // to the host's, needs the namespaces entered in order before the init is
  // forked: a first child does that and clones the init (see spawn.cpp).
  bool needs_staging() const;

  // Opens and checks every joined namespace. Pointer is linux.namespaces' path.
  static Result<NamespacePlan> build(const spec::Config &config);

  // Enters the joined namespaces whose clone flag is in `flags`, user first.
  Result<void> join(int flags) const;
};

// The flags clone3 creates directly: all new ones, except a time namespace that
// needs offsets (they can only be written while no process is inside it) and
// the cgroup namespace, which the init makes itself once it is in its cgroup:
// a cgroup namespace is rooted where its creator was at that moment.
inline int clone_flags(const NamespacePlan &plan) {
  int flags = plan.new_flags & ~0x02000000 /* CLONE_NEWCGROUP */;
  return plan.time_offsets.empty() ? flags : (flags & ~0x80 /* CLONE_NEWTIME */);
}

// Creates the time namespace with its offsets and, with `enter`, moves the
// caller into it (the init does; a staging process leaves it for its child).
Result<void> make_time_namespace(const NamespacePlan &plan, bool enter);

// Namespaces that only affect the children of the process that enters them.
inline constexpr int kForChildrenFlags = 0x20000000 /* CLONE_NEWPID */ | 0x80 /* CLONE_NEWTIME */;

// setns on a pid namespace decides where the caller's children are born, and
// it stays so after the clone it was meant for: every later child of berth
// (a hook, a helper, LeakSanitizer's tracer at exit) would be born in the
// container's pid namespace, where it cannot see berth. This holds berth's own
// pid namespace and makes it the children's one again when it goes out of
// scope, right after the clone into the container.
class OwnPidNamespace {
public:
  static Result<OwnPidNamespace> open();
  OwnPidNamespace(OwnPidNamespace &&) = default;
  OwnPidNamespace &operator=(OwnPidNamespace &&) = delete;
  ~OwnPidNamespace();

private:
  explicit OwnPidNamespace(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

// Writes /proc/<pid>/uid_map and gid_map from the config's mappings (see
// id_maps.cpp): directly when berth may (root, or an unprivileged caller
// mapping only its own id), else through newuidmap/newgidmap.
Result<void> write_id_maps(pid_t pid, const spec::Linux &linux);

} // namespace berth::process
