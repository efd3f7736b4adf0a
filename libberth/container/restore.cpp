#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>

#include "container/criu_args.hpp"
#include "container/criu_process.hpp"
#include "container/lifecycle.hpp"
#include "container/pid_file.hpp"
#include "container/preflight.hpp"
#include "spec/parser.hpp"
#include "sys/log.hpp"
#include "sys/syscalls.hpp"

namespace berth::container {
namespace {

// In the state directory while criu runs: an empty directory that criu's own
// mount namespace binds the rootfs onto, and the file criu writes the
// restored init's pid to. Both go with the directory if restore fails.
constexpr const char *kCriuRoot = "criu-root";
constexpr const char *kCriuPidFile = "criu.pid";

Result<pid_t> read_restored_pid(const StateDir &dir) {
  BERTH_TRY_ASSIGN(std::string text, sys::read_file_at(dir.fd(), kCriuPidFile, 64));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  pid_t pid = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || pid <= 0)
    return fail("criu wrote no pid to " + dir.path() + "/" + kCriuPidFile);
  return pid;
}

bool own_pid_namespace(const spec::Config &config) {
  const spec::Namespace *pid =
      config.linux ? config.linux->find_namespace(spec::NamespaceType::Pid) : nullptr;
  return pid && !pid->path;
}

} // namespace

Result<int> restore(const GlobalOptions &global, const RestoreOptions &options) {
  const CreateOptions &create = options.create;
  // As create: everything that can be checked is checked before any side effect.
  BERTH_TRY(validate_id(create.id));
  // criu needs root for a restore (CAP_SYS_ADMIN and friends on the host).
  if (::geteuid() != 0)
    return fail("restore of a rootless container (berth run by uid " + std::to_string(::geteuid()) +
                ") is not supported");
  // The restored container would land in a cgroupfs cgroup of its own rather
  // than the systemd scope asked for: refuse instead.
  if (global.systemd_cgroup)
    return fail("restore with --systemd-cgroup is not supported yet");
  BERTH_TRY_ASSIGN(std::string bundle, real_path(create.bundle, "bundle"));
  BERTH_TRY_ASSIGN(spec::Config config, spec::load_config(bundle));
  BERTH_TRY_ASSIGN(auto warnings, check_supported(config));
  if (config.process->terminal)
    return fail("restore of a container with a terminal (process.terminal) is not supported yet");
  BERTH_TRY(check_terminal(*config.process, create, !options.detach));
  BERTH_TRY_ASSIGN(std::string rootfs, resolve_rootfs(bundle, config.root));
  BERTH_TRY_ASSIGN(std::string criu, find_criu(global.criu));
  BERTH_TRY_ASSIGN(CriuOptions criu_options, criu_directories(options.criu, false));
  BERTH_TRY_ASSIGN(cgroup::Manager cgroups, cgroup::Manager::for_container(config, create.id));

  BERTH_TRY_ASSIGN(StateDir dir, StateDir::reserve(global.root, create.id));
  BERTH_TRY(cgroups.create());
  CgroupCleanup cgroup_cleanup(cgroups); // a failed restore leaves no cgroup
  if (config.linux)
    BERTH_TRY_CTX(cgroups.apply(effective_resources(*config.linux)), "apply linux.resources");
  if (::mkdirat(dir.fd(), kCriuRoot, 0700) < 0)
    return fail_errno("create " + dir.path() + "/" + kCriuRoot);

  criu_options.root = dir.path() + "/" + kCriuRoot;
  criu_options.external_mounts = bind_mounts_of(config, bundle);
  json::Value description = cgroups.describe();
  if (const json::Value *hierarchies = description.find("hierarchies"))
    for (auto &mount : cgroup_binds_for_restore(config, *hierarchies))
      criu_options.external_mounts.push_back(std::move(mount));
  auto args = criu_restore_args(criu, criu_options, dir.path() + "/" + kCriuPidFile);
  CriuPlacement placement{&cgroups, rootfs, criu_options.root};
  BERTH_TRY_CTX(run_criu(args, criu_options.work_path + "/" + kCriuRestoreLog, placement),
                "restore container \"" + create.id + "\"");

  // --restore-sibling made the restored init berth's child: killed and reaped
  // if anything below fails.
  BERTH_TRY_ASSIGN(pid_t pid, read_restored_pid(dir));
  process::ChildProcess init(pid);
  ::unlinkat(dir.fd(), kCriuPidFile, 0);
  ::unlinkat(dir.fd(), kCriuRoot, AT_REMOVEDIR);
  auto start_time = live_process_start_time(pid);
  if (!start_time)
    return fail("restore container \"" + create.id + "\": its init exited right away");

  StoredState state;
  state.oci_version = config.oci_version;
  state.id = create.id;
  state.bundle = bundle;
  state.rootfs = rootfs;
  state.init = {pid, *start_time};
  state.creating = false;
  state.started = true;
  state.own_pid_namespace = own_pid_namespace(config);
  state.created = rfc3339_now();
  state.owner = ::geteuid();
  state.annotations = config.annotations;
  state.cgroup = std::move(description);
  BERTH_TRY(dir.write(state));
  if (!create.pid_file.empty())
    BERTH_TRY(write_pid_file(create.pid_file, pid));
  for (const auto &w : warnings)
    log::warn(w);
  dir.commit();
  cgroup_cleanup.release();
  if (options.detach) {
    init.release();
    return 0;
  }
  // As run: other commands reach the container while berth waits, and it is
  // deleted once its init has exited.
  { auto unlock = std::move(dir); }
  BERTH_TRY_ASSIGN(int code, wait_forwarding_signals(state, init, nullptr));
  auto removed = remove(global, create.id, true);
  if (!removed && !is_container_not_found(removed.error(), create.id))
    return fail(std::move(removed.error()));
  return code;
}

} // namespace berth::container
