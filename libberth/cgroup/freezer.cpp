// pause and resume: cgroup.freeze on v2, the freezer controller on v1.
#include <chrono>
#include <thread>

#include "cgroup/cgroup_files.hpp"
#include "cgroup/manager_impl.hpp"
#include "sys/log.hpp"

namespace berth::cgroup {
namespace {

// Freezing waits for every task to reach the refrigerator; a task stuck in
// the kernel (an uninterruptible wait) may keep it from finishing.
constexpr auto kFreezeTimeout = std::chrono::seconds(5);
constexpr auto kPollInterval = std::chrono::milliseconds(5);

struct Freezer {
  const CgroupDir *dir;
  bool v2;
};

// The v1 freezer where a v1 hierarchy has it (hybrid hosts too), else the
// v2 core's cgroup.freeze.
Result<Freezer> find_freezer(const CgroupSet &cgroups) {
  if (const CgroupDir *v1 = cgroups.owner_of("freezer"); v1 && !v1->v2())
    return Freezer{v1, false};
  if (const CgroupDir *v2 = cgroups.unified())
    return Freezer{v2, true};
  return fail("no cgroup freezer on this host (neither a v1 freezer hierarchy nor cgroup v2)",
              ENOTSUP);
}

// v2: cgroup.events says "frozen 1" once every task is frozen.
Result<bool> v2_frozen(const CgroupDir &dir) {
  BERTH_TRY_ASSIGN(auto events, read_cgroup_file(dir.dir(), "cgroup.events"));
  auto values = parse_flat_keyed(events);
  auto found = values.find("frozen");
  return found != values.end() && found->second == 1;
}

Result<void> v2_set(const CgroupDir &dir, bool freeze) {
  BERTH_TRY(write_cgroup_file(dir.dir(), "cgroup.freeze", freeze ? "1" : "0"));
  auto deadline = std::chrono::steady_clock::now() + kFreezeTimeout;
  for (;;) {
    BERTH_TRY_ASSIGN(bool frozen, v2_frozen(dir));
    if (frozen == freeze)
      return {};
    if (std::chrono::steady_clock::now() > deadline)
      break;
    std::this_thread::sleep_for(kPollInterval);
  }
  if (freeze)
    (void)write_cgroup_file(dir.dir(), "cgroup.freeze", "0");
  return fail(std::string(freeze ? "freeze " : "thaw ") + dir.dir() + ": timed out waiting for " +
                  "cgroup.events to show it",
              ETIMEDOUT);
}

// v1: freezer.state reads FREEZING until every task is frozen; writing
// FROZEN again makes the kernel retry the tasks it could not freeze yet.
Result<void> v1_set(const CgroupDir &dir, bool freeze) {
  std::string_view wanted = freeze ? "FROZEN" : "THAWED";
  auto deadline = std::chrono::steady_clock::now() + kFreezeTimeout;
  for (;;) {
    BERTH_TRY(write_cgroup_file(dir.dir(), "freezer.state", wanted));
    BERTH_TRY_ASSIGN(auto state, read_cgroup_value(dir.dir(), "freezer.state"));
    if (state && *state == wanted)
      return {};
    if (std::chrono::steady_clock::now() > deadline)
      break;
    std::this_thread::sleep_for(kPollInterval);
  }
  if (freeze)
    (void)write_cgroup_file(dir.dir(), "freezer.state", "THAWED");
  return fail(std::string(freeze ? "freeze " : "thaw ") + dir.dir() +
                  ": timed out waiting for freezer.state to read " + std::string(wanted),
              ETIMEDOUT);
}

} // namespace

Result<void> Manager::freeze() {
  BERTH_TRY_ASSIGN(auto freezer, find_freezer(impl_->cgroups));
  return freezer.v2 ? v2_set(*freezer.dir, true) : v1_set(*freezer.dir, true);
}

Result<void> Manager::thaw() {
  BERTH_TRY_ASSIGN(auto freezer, find_freezer(impl_->cgroups));
  return freezer.v2 ? v2_set(*freezer.dir, false) : v1_set(*freezer.dir, false);
}

Result<bool> Manager::frozen() const {
  BERTH_TRY_ASSIGN(auto freezer, find_freezer(impl_->cgroups));
  if (freezer.v2) {
    // Frozen by request, or along with a frozen ancestor.
    BERTH_TRY_ASSIGN(auto requested, read_cgroup_value(freezer.dir->dir(), "cgroup.freeze"));
    if (requested && *requested == "1")
      return true;
    return v2_frozen(*freezer.dir);
  }
  BERTH_TRY_ASSIGN(auto state, read_cgroup_value(freezer.dir->dir(), "freezer.state"));
  return state && *state == "FROZEN";
}

Result<void> Manager::check_not_frozen() const {
  auto freezer = find_freezer(impl_->cgroups);
  if (!freezer)
    return {}; // no freezer here: nothing can be frozen
  BERTH_TRY_ASSIGN(bool is_frozen, frozen());
  if (!is_frozen && !freezer->v2) {
    BERTH_TRY_ASSIGN(auto state, read_cgroup_value(freezer->dir->dir(), "freezer.state"));
    is_frozen = state && *state == "FREEZING";
  }
  if (!is_frozen)
    return {};
  return fail("cgroup " + freezer->dir->dir() +
                  " is frozen (by its own freezer or an ancestor's): the container could never "
                  "run there; thaw it or choose another linux.cgroupsPath",
              EBUSY);
}

Result<void> Manager::release_for_kill() {
  auto freezer = find_freezer(impl_->cgroups);
  if (!freezer)
    return {};
  const std::string dir = freezer->dir->dir();
  bool held_by_ancestor = false;
  if (freezer->v2) {
    (void)write_cgroup_file(dir, "cgroup.freeze", "0");
    auto still = v2_frozen(*freezer->dir);
    held_by_ancestor = still && *still;
  } else {
    (void)write_cgroup_file(dir, "freezer.state", "THAWED");
    auto parent = read_cgroup_value(dir, "freezer.parent_freezing");
    held_by_ancestor = parent && *parent && **parent == "1";
  }
  if (!held_by_ancestor)
    return {};
  // A task that joins a cgroup that is not frozen is thawed on the way in.
  BERTH_TRY_ASSIGN(auto procs, read_cgroup_file(dir, "cgroup.procs"));
  const std::string root = freezer->dir->hierarchy.mount_point;
  log::debug("cgroup " + dir + " is frozen by an ancestor: moving its processes to " + root +
             " to kill them");
  std::size_t start = 0;
  while (start < procs.size()) {
    auto end = procs.find('\n', start);
    if (end == std::string::npos)
      end = procs.size();
    std::string pid = procs.substr(start, end - start);
    start = end + 1;
    if (pid.empty())
      continue;
    auto moved = write_cgroup_file(root, "cgroup.procs", pid);
    if (!moved && moved.error().errno_value() != ESRCH)
      return fail(std::move(moved).error().context("release process " + pid + " from " + dir));
  }
  return {};
}

} // namespace berth::cgroup
