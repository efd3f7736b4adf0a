#include <fcntl.h>

#include "container/criu_args.hpp"
#include "container/criu_process.hpp"
#include "container/lifecycle.hpp"
#include "spec/parser.hpp"
#include "sys/mountinfo.hpp"
#include "sys/syscalls.hpp"

namespace berth::container {
namespace {

// The mounts criu must be told are external: the config's bind mounts, and
// the cgroup directories of the host bound into the container, read from the
// init's own mount table (what was actually mounted, whatever the host's
// cgroup layout).
Result<std::vector<ExternalMount>> external_mounts(const spec::Config &config,
                                                   const StoredState &state) {
  std::vector<ExternalMount> mounts = bind_mounts_of(config, state.bundle);
  BERTH_TRY_ASSIGN(std::string text,
                   sys::read_file("/proc/" + std::to_string(state.init.pid) + "/mountinfo"));
  BERTH_TRY_ASSIGN(auto table, sys::parse_mountinfo(text));
  for (auto &mount : cgroup_binds_of(table))
    mounts.push_back(std::move(mount));
  return mounts;
}

} // namespace

Result<void> checkpoint(const GlobalOptions &global, const CheckpointOptions &options) {
  BERTH_TRY(validate_id(options.id));
  BERTH_TRY_ASSIGN(StateDir dir, StateDir::open(global.root, options.id, LockMode::Exclusive));
  BERTH_TRY_ASSIGN(StoredState state, dir.read());
  Status status = current_status(state);
  // criu seizes running tasks; a frozen one would need criu to manage the
  // freezer, a created one has not run its program yet.
  if (status != Status::Running)
    return fail("cannot checkpoint container \"" + options.id + "\": it is " +
                std::string(status_name(status)) + ", not running");
  BERTH_TRY_ASSIGN(spec::Config config, spec::load_config(state.bundle));
  if (config.process && config.process->terminal)
    return fail("cannot checkpoint container \"" + options.id +
                "\": checkpoint of a container with a terminal is not supported yet");
  BERTH_TRY_ASSIGN(std::string criu, find_criu(global.criu));
  BERTH_TRY_ASSIGN(CriuOptions criu_options, criu_directories(options.criu, true));
  criu_options.root = state.rootfs;
  BERTH_TRY_ASSIGN(criu_options.external_mounts, external_mounts(config, state));

  // Opened before the dump: once criu has killed the tasks the pid may be reused.
  auto pidfd = open_pidfd(state.init);
  auto args = criu_dump_args(criu, criu_options, state.init.pid, options.leave_running);
  BERTH_TRY_CTX(run_criu(args, criu_options.work_path + "/" + kCriuDumpLog),
                "checkpoint container \"" + options.id + "\"");
  if (options.leave_running)
    return {};
  // criu has killed the tasks. As runc does, the container is then deleted
  // (state and cgroup), so that `restore` can bring it back under its id; a
  // failed dump left it running, and untouched.
  if (pidfd)
    BERTH_TRY_CTX(wait_for_exit(pidfd->get(), 10000),
                  "wait for container \"" + options.id + "\" to stop");
  { auto unlock = std::move(dir); }
  return with_context(remove(global, options.id, true),
                      "delete container \"" + options.id + "\" after its checkpoint");
}

} // namespace berth::container
