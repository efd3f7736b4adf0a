#include "container/hook_state.hpp"
#include "container/host_rootfs_mount.hpp"
#include "container/lifecycle.hpp"
#include "process/hooks.hpp"
#include "sys/phase_log.hpp"

namespace berth::container {

// runtime.md says delete of a container that is not stopped is an error, but
// runc and crun delete a created (never started) one without --force, and
// containerd's shim relies on that: berth does the same (see berth(8)).
Result<void> remove(const GlobalOptions &global, const std::string &id, bool force) {
  BERTH_TRY(validate_id(id));
  auto opened = StateDir::open(global.root, id, LockMode::Exclusive);
  // `delete --force` of a container that is not there has nothing to do, and
  // succeeds as with runc and crun: Podman and containerd's shim call it to
  // clean up after a create that failed, and an error there hides the real one.
  if (!opened && force && is_container_not_found(opened.error(), id))
    return {};
  BERTH_TRY_ASSIGN(StateDir dir, std::move(opened));
  auto stored = dir.read();
  if (!stored) {
    if (is_untrusted_state(stored.error()))
      return fail(std::move(stored.error()));
    // No state.json: a create that died before its init existed. Nothing runs.
    return dir.destroy();
  }
  Status status = current_status(*stored);
  if ((status == Status::Running || status == Status::Paused) && !force)
    return fail("cannot delete container \"" + id + "\" that is " +
                std::string(status_name(status)) + ": stop it first or use --force");
  log::Phase removing("delete " + id, "stop the processes and remove the cgroup");
  if (status != Status::Stopped)
    BERTH_TRY(kill_and_wait(*stored));
  // Also for a stopped container: processes it forked may outlive its init, and
  // the cgroup (thawed first when paused) is only empty once they are gone.
  BERTH_TRY_ASSIGN(auto cgroups, container_cgroup(*stored));
  if (cgroups)
    BERTH_TRY_CTX(cgroups->destroy(), "remove the cgroup of \"" + id + "\"");
  BERTH_TRY_CTX(detach_host_rootfs_mounts(stored->rootfs, stored->host_rootfs_mount,
                                          stored->host_rootfs_mount_below),
                "delete \"" + id + "\"");
  removing.end();
  BERTH_TRY(dir.destroy());
  // "after the container is deleted but before the delete operation returns"
  // (config.md), with the hooks create recorded; a failure is a warning
  // (runtime.md "Lifecycle", step 13).
  process::run_hooks_warning_on_failure(process::HookKind::Poststop, stored->hooks.poststop,
                                        hook_state_json(*stored, Status::Stopped));
  return {};
}

} // namespace berth::container
