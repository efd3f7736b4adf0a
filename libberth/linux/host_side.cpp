#include "linux/host_side.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/devices.hpp"
#include "sys/fd_passing.hpp"
#include "sys/mount_api.hpp"
#include "sys/syscalls.hpp"

namespace berth::linux {
namespace {

constexpr std::size_t kMaxHelperMessage = 4096;

// The helper: enters the namespace, opens, sends the fd (or why not) and ends.
[[noreturn]] void open_and_send(int namespace_fd, const std::string &path, int socket_fd) {
  auto opened = [&]() -> Result<UniqueFd> {
    if (::setns(namespace_fd, CLONE_NEWNS) < 0)
      return fail_errno("enter the container's mount namespace");
    return sys::open_path(path, O_PATH);
  }();
  if (opened)
    ::_exit(sys::send_fd(socket_fd, opened->get(), "ok") ? 0 : 1);
  std::string message = opened.error().message();
  (void)!::send(socket_fd, message.data(), message.size(), MSG_NOSIGNAL);
  ::_exit(1);
}

} // namespace

Result<UniqueFd> open_in_mount_namespace_of(pid_t pid, const std::string &path) {
  BERTH_TRY_ASSIGN(UniqueFd mount_namespace,
                   sys::open_path("/proc/" + std::to_string(pid) + "/ns/mnt", O_RDONLY));
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
    return fail_errno("socketpair");
  UniqueFd ours(pair[0]);
  UniqueFd theirs(pair[1]);
  // A child of its own: setns(CLONE_NEWNS) would also move berth's root and
  // cwd, and berth must stay in the host's mount namespace.
  pid_t helper = ::fork();
  if (helper < 0)
    return fail_errno("fork a helper to open " + path);
  if (helper == 0) {
    ours.reset();
    open_and_send(mount_namespace.get(), path, theirs.get());
  }
  theirs.reset();
  auto received = sys::receive_with_fd(ours.get(), kMaxHelperMessage);
  while (::waitpid(helper, nullptr, 0) < 0 && errno == EINTR) {
  }
  if (!received)
    return fail(std::move(received).error());
  if (!received->fd)
    return fail(received->payload); // the helper's whole message, errno included
  return std::move(received->fd);
}

Result<UniqueFd> make_detached_device_node(const spec::Device &device, uid_t uid, gid_t gid) {
  BERTH_TRY_ASSIGN(mode_t type, device_node_type(device));
  BERTH_TRY_ASSIGN(auto context, sys::FsContext::open("tmpfs"));
  BERTH_TRY(context.set_string("nr_inodes", "2")); // the root and the node
  BERTH_TRY_ASSIGN(UniqueFd filesystem,
                   context.create_mount(MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC));
  constexpr const char *kName = "node";
  const dev_t dev = type == S_IFIFO ? 0
                                    : ::makedev(static_cast<unsigned>(device.major),
                                                static_cast<unsigned>(device.minor));
  const mode_t mode = device.file_mode.value_or(0666) & 07777;
  if (::mknodat(filesystem.get(), kName, type | mode, dev) < 0)
    return fail_errno("mknod on the host's side");
  // The umask may have taken bits of fileMode: the mode is set whole.
  if (::fchmodat(filesystem.get(), kName, mode, 0) < 0)
    return fail_errno("chmod the node");
  if (::fchownat(filesystem.get(), kName, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return fail_errno("chown the node");
  return sys::clone_mount(filesystem.get(), kName, false);
}

} // namespace berth::linux
