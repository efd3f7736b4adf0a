// linux.uidMappings and gidMappings, written for the process that made the
// container's user namespace. Root writes any map itself. An unprivileged
// caller may only map its own id, once, and the gid map only after setgroups
// is denied in the namespace (user_namespaces(7)); any other map goes through
// the setuid helpers newuidmap(1) and newgidmap(1), which check it against
// /etc/subuid and /etc/subgid.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/idmap_userns.hpp"
#include "process/namespaces.hpp"
#include "sys/syscalls.hpp"
#include "sys/text.hpp"

extern char **environ;

namespace berth::process {
namespace {

// "[0 65534 1, 1 100000 65536]": the map as the config gives it, for messages.
std::string describe(const std::vector<spec::IdMapping> &mappings) {
  std::string out = "[";
  for (const auto &m : mappings) {
    if (out.size() > 1)
      out += ", ";
    out += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " +
           std::to_string(m.size);
  }
  return out + "]";
}

bool maps_only(const std::vector<spec::IdMapping> &mappings, unsigned id) {
  return mappings.size() == 1 && mappings[0].size == 1 && mappings[0].host_id == id;
}

// Runs newuidmap/newgidmap PID ID HOSTID SIZE...; a failure says what the
// helper said, on one line.
Result<void> run_helper(const char *helper, pid_t pid,
                        const std::vector<spec::IdMapping> &mappings) {
  std::vector<std::string> args = {helper, std::to_string(pid)};
  for (const auto &m : mappings) {
    args.push_back(std::to_string(m.container_id));
    args.push_back(std::to_string(m.host_id));
    args.push_back(std::to_string(m.size));
  }
  std::vector<char *> argv;
  for (auto &a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) < 0)
    return fail_errno(std::string("create a pipe for ") + helper);
  UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(&actions, write_end.get(), 1);
  ::posix_spawn_file_actions_adddup2(&actions, write_end.get(), 2);
  pid_t child = 0;
  int spawned = ::posix_spawnp(&child, helper, &actions, nullptr, argv.data(), environ);
  ::posix_spawn_file_actions_destroy(&actions);
  write_end.reset();
  if (spawned != 0) {
    if (spawned == ENOENT)
      return fail(std::string(helper) + " is not installed (the uidmap package): it is needed " +
                  "to map more than the caller's own id without root");
    return fail(Error::from_errno(std::string("run ") + helper, spawned));
  }
  std::string output;
  char buffer[1024];
  for (;;) {
    ssize_t n = ::read(read_end.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    if (output.size() < 4096)
      output.append(buffer, static_cast<std::size_t>(n));
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return {};
  std::string said;
  for (std::string_view line : sys::split_lines(output)) {
    if (line.empty())
      continue;
    if (!said.empty())
      said += "; ";
    said += line;
  }
  std::string how = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                      : "killed by signal " + std::to_string(WTERMSIG(status));
  return fail(std::string(helper) + " failed (" + how + ")" + (said.empty() ? "" : ": " + said));
}

} // namespace

Result<void> write_id_maps(pid_t pid, const spec::Linux &linux) {
  std::string proc = "/proc/" + std::to_string(pid);
  bool root = ::geteuid() == 0;
  // One write each: the kernel accepts a map only once, whole.
  if (root || maps_only(linux.uid_mappings, ::geteuid())) {
    BERTH_TRY_CTX(sys::write_file(proc + "/uid_map", linux::id_map_text(linux.uid_mappings)),
                  "write uid mappings " + describe(linux.uid_mappings));
  } else {
    BERTH_TRY_CTX(run_helper("newuidmap", pid, linux.uid_mappings),
                  "write uid mappings " + describe(linux.uid_mappings));
  }
  if (root) {
    BERTH_TRY_CTX(sys::write_file(proc + "/gid_map", linux::id_map_text(linux.gid_mappings)),
                  "write gid mappings " + describe(linux.gid_mappings));
  } else if (maps_only(linux.gid_mappings, ::getegid())) {
    // Without CAP_SETGID in the parent namespace the kernel takes a gid map
    // only once setgroups is off for good: the container could otherwise drop
    // a group that denies it access.
    BERTH_TRY_CTX(sys::write_file(proc + "/setgroups", "deny"), "deny setgroups");
    BERTH_TRY_CTX(sys::write_file(proc + "/gid_map", linux::id_map_text(linux.gid_mappings)),
                  "write gid mappings " + describe(linux.gid_mappings));
  } else {
    BERTH_TRY_CTX(run_helper("newgidmap", pid, linux.gid_mappings),
                  "write gid mappings " + describe(linux.gid_mappings));
  }
  return {};
}

} // namespace berth::process
