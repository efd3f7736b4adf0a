#include "linux/terminal.hpp"
#include "sys/fd_passing.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <vector>

#include "sys/mount_api.hpp"
#include "sys/path_resolve.hpp"
#include "sys/syscalls.hpp"
#include "tables/default_devices.hpp"

namespace berth::linux {
namespace {

// The replicas of Unix98 ptys use majors 136 to 143 (devices.txt), 256 minors each.
constexpr unsigned kPtsMajorCount = 8;
constexpr unsigned kMinorsPerMajor = 256;

Result<UniqueFd> open_root() {
  return sys::open_path("/", O_PATH | O_DIRECTORY);
}

Result<void> check_ptmx(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) < 0)
    return fail_errno("stat /dev/ptmx");
  const auto ptmx = ::makedev(static_cast<unsigned>(tables::kPtmx.major),
                              static_cast<unsigned>(tables::kPtmx.minor));
  if (!S_ISCHR(st.st_mode) || st.st_rdev != ptmx)
    return fail("/dev/ptmx is not the ptmx device (5:2)", ENODEV);
  return {};
}

// The ptmx of the container, reached inside its root: /dev/ptmx is normally
// berth's symlink to pts/ptmx, or a 5:2 node next to a devpts at /dev/pts.
// Either way the kernel gives a master of the devpts instance that sits in the
// container's tree. Whatever else a rootfs put there (a node of another
// device, whose open could have effects of its own, or a plain file) is
// refused before it is opened, and the opened file is checked again.
Result<UniqueFd> open_ptmx() {
  BERTH_TRY_ASSIGN(UniqueFd root, open_root());
  auto node = sys::open_in_root(root.get(), "/dev/ptmx", O_PATH);
  if (!node && node.error().errno_value() == ENOENT)
    return fail("open /dev/ptmx: a terminal needs a devpts filesystem mounted at /dev/pts", ENOENT);
  if (!node)
    return node;
  BERTH_TRY(check_ptmx(node->get()));
  BERTH_TRY_ASSIGN(UniqueFd master, sys::open_in_root(root.get(), "/dev/ptmx", O_RDWR | O_NOCTTY));
  BERTH_TRY(check_ptmx(master.get()));
  return master;
}

// The peer of a master must be a terminal of a devpts instance with the index
// the master reports: anything else means the master was not what it claimed.
Result<void> check_replica(int replica, unsigned index) {
  struct statfs fs {};
  if (::fstatfs(replica, &fs) < 0)
    return fail_errno("statfs the terminal's replica");
  if (fs.f_type != DEVPTS_SUPER_MAGIC)
    return fail("the terminal's replica is not on a devpts filesystem", ENODEV);
  struct stat st {};
  if (::fstat(replica, &st) < 0)
    return fail_errno("stat the terminal's replica");
  const auto major = ::major(st.st_rdev);
  const auto first = static_cast<unsigned>(tables::kPtsMajor);
  if (!S_ISCHR(st.st_mode) || major < first || major >= first + kPtsMajorCount ||
      (major - first) * kMinorsPerMajor + ::minor(st.st_rdev) != index)
    return fail("the terminal's replica is not pts " + std::to_string(index), ENODEV);
  return {};
}

Result<void> apply_size(int master, const spec::ConsoleSize &size) {
  constexpr std::uint32_t kMax = USHRT_MAX; // struct winsize holds unsigned shorts
  if (size.height > kMax || size.width > kMax)
    return fail("consoleSize " + std::to_string(size.height) + "x" + std::to_string(size.width) +
                    " is larger than a terminal can be (" + std::to_string(kMax) + ")",
                EINVAL);
  winsize ws{};
  ws.ws_row = static_cast<unsigned short>(size.height);
  ws.ws_col = static_cast<unsigned short>(size.width);
  if (::ioctl(master, TIOCSWINSZ, &ws) < 0)
    return fail_errno("set the terminal's size");
  return {};
}

// /dev/console of the current root as an O_PATH fd to mount onto, created
// when missing. No symlink is followed on the way or at the end
// (CVE-2025-52565: a /dev/console linked to a procfs file would otherwise
// turn the bind into a write path into the host's kernel settings).
Result<UniqueFd> open_console_target() {
  BERTH_TRY_ASSIGN(UniqueFd root, open_root());
  sys::InRootOptions no_symlinks;
  no_symlinks.no_symlinks = true;
  BERTH_TRY_ASSIGN(auto dev,
                   sys::open_parent_in_root(root.get(), "/dev/console", 0755, no_symlinks));
  int made = ::openat(dev.parent.get(), dev.name.c_str(),
                      O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (made >= 0)
    ::close(made);
  else if (errno != EEXIST)
    return fail_errno("create /dev/console");
  BERTH_TRY_ASSIGN(UniqueFd target, sys::open_at(dev.parent.get(), dev.name, O_PATH | O_NOFOLLOW));
  struct stat st {};
  if (::fstat(target.get(), &st) < 0)
    return fail_errno("stat /dev/console");
  if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
    return fail("/dev/console is not a regular file or a character device", EINVAL);
  return target;
}

} // namespace

Result<Pty> open_pty(const std::optional<spec::ConsoleSize> &size) {
  Pty pty;
  BERTH_TRY_ASSIGN(pty.master, open_ptmx());
  int unlock = 0;
  if (::ioctl(pty.master.get(), TIOCSPTLCK, &unlock) < 0)
    return fail_errno("unlock the terminal");
  unsigned index = 0;
  if (::ioctl(pty.master.get(), TIOCGPTN, &index) < 0)
    return fail_errno("get the terminal's number");
  int replica = ::ioctl(pty.master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (replica < 0)
    return fail_errno("open the terminal's replica");
  pty.replica.reset(replica);
  BERTH_TRY(check_replica(replica, index));
  pty.replica_path = "/dev/pts/" + std::to_string(index);
  if (size)
    BERTH_TRY(apply_size(pty.master.get(), *size));
  return pty;
}

Result<void> become_terminal_owner(int replica) {
  if (::setsid() < 0)
    return fail_errno("start a new session for the terminal");
  if (::ioctl(replica, TIOCSCTTY, 0) < 0)
    return fail_errno("make the terminal the controlling terminal");
  for (int fd = 0; fd <= 2; ++fd)
    if (::dup2(replica, fd) < 0)
      return fail_errno("make the terminal fd " + std::to_string(fd));
  return {};
}

Result<void> bind_console(const Pty &pty) {
  BERTH_TRY_ASSIGN(UniqueFd target, with_context(open_console_target(), "bind /dev/console"));
  BERTH_TRY_ASSIGN(UniqueFd tree, with_context(sys::clone_mount(pty.replica.get(), "", false),
                                               "bind " + pty.replica_path + " onto /dev/console"));
  return with_context(sys::attach_mount(tree.get(), target.get()),
                      "bind " + pty.replica_path + " onto /dev/console");
}

Result<UniqueFd> connect_console_socket(const std::string &path) {
  std::string what = "connect to console socket " + path;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty())
    return fail(what + ": empty path", EINVAL);
  // sun_path needs room for the terminating NUL for the kernel to take a path.
  if (path.size() >= sizeof addr.sun_path)
    return fail(what + ": the path is " + std::to_string(path.size()) +
                    " bytes, a unix socket path holds at most " +
                    std::to_string(sizeof addr.sun_path - 1),
                ENAMETOOLONG);
  std::memcpy(addr.sun_path, path.data(), path.size());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd)
    return fail_errno(what + ": socket");
  int connected;
  do
    connected = ::connect(fd.get(), reinterpret_cast<const sockaddr *>(&addr), sizeof addr);
  while (connected < 0 && errno == EINTR);
  if (connected < 0)
    return fail_errno(what);
  return fd;
}

Result<void> send_console_master(int socket_fd, int master_fd, std::string_view name) {
  return with_context(sys::send_fd(socket_fd, master_fd, name.empty() ? "/dev/ptmx" : name),
                      "send the terminal's master to the console socket");
}

Result<UniqueFd> receive_console_master(int socket_fd) {
  BERTH_TRY_ASSIGN(sys::MessageWithFd message, with_context(sys::receive_with_fd(socket_fd, 4096),
                                                            "receive the terminal's master"));
  if (!message.fd)
    return fail("receive the terminal's master: the message came without an fd", EPROTO);
  unsigned index = 0;
  if (::ioctl(message.fd.get(), TIOCGPTN, &index) < 0)
    return fail_errno("receive the terminal's master: the fd is not a pty master");
  return std::move(message.fd);
}

} // namespace berth::linux
