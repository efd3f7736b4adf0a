#include "linux/idmap_userns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "sys/syscalls.hpp"

namespace berth::linux {
namespace {

// Reaps the helper whatever happens to the caller.
class HelperChild {
public:
  explicit HelperChild(pid_t pid) : pid_(pid) {}
  HelperChild(const HelperChild &) = delete;
  HelperChild &operator=(const HelperChild &) = delete;
  ~HelperChild() {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }

private:
  pid_t pid_;
};

Result<UniqueFd> userns_with_maps(const spec::Mount &mount) {
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) < 0)
    return fail_errno("pipe");
  UniqueFd ready_read(ready[0]), ready_write(ready[1]);
  pid_t pid = ::fork();
  if (pid < 0)
    return fail_errno("fork");
  if (pid == 0) {
    // The child unshares, tells its pid as the mounted /proc numbers it (which
    // is not fork's answer when /proc belongs to an outer pid namespace), and
    // waits to be killed.
    ready_read.reset();
    char reply[32] = {};
    if (::unshare(CLONE_NEWUSER) == 0) {
      ssize_t n = ::readlink("/proc/self", reply, sizeof reply - 1);
      if (n < 0)
        reply[0] = '\0';
    }
    (void)!::write(ready_write.get(), reply, sizeof reply);
    for (;;)
      ::pause();
  }
  HelperChild child(pid);
  ready_write.reset();
  char reply[32] = {};
  if (::read(ready_read.get(), reply, sizeof reply) != static_cast<ssize_t>(sizeof reply) ||
      reply[0] == '\0')
    return fail("create a user namespace for the idmapped mount", EPERM);
  reply[sizeof reply - 1] = '\0';
  const std::string child_pid = reply;
  if (child_pid.find_first_not_of("0123456789") != std::string::npos)
    return fail("unexpected reply from the user namespace helper", EPROTO);
  const std::string proc = "/proc/" + child_pid;
  BERTH_TRY_CTX(sys::write_file(proc + "/uid_map", id_map_text(mount.uid_mappings)), "uidMappings");
  BERTH_TRY_CTX(sys::write_file(proc + "/gid_map", id_map_text(mount.gid_mappings)), "gidMappings");
  return sys::open_path(proc + "/ns/user", O_RDONLY);
}

} // namespace

Result<UniqueFd> open_idmap_userns(const spec::Mount &mount, const spec::Config &config,
                                   pid_t container_pid) {
  if (!mount.uid_mappings.empty() || !mount.gid_mappings.empty()) {
    if (mount.uid_mappings.empty() || mount.gid_mappings.empty())
      return fail("an idmapped mount needs both uidMappings and gidMappings", EINVAL);
    return userns_with_maps(mount);
  }
  if (!config.linux || !config.linux->find_namespace(spec::NamespaceType::User))
    return fail("an idmapped mount needs uidMappings and gidMappings or a user namespace", EINVAL);
  return sys::open_path("/proc/" + std::to_string(container_pid) + "/ns/user", O_RDONLY);
}

std::string id_map_text(const std::vector<spec::IdMapping> &mappings) {
  std::string text;
  for (const auto &m : mappings)
    text += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " +
            std::to_string(m.size) + "\n";
  return text;
}

} // namespace berth::linux
