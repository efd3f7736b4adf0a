#include "container/notify_socket.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <string_view>

#include "sys/syscalls.hpp"
#include "sys/text.hpp"

namespace berth::container {
namespace {

constexpr const char *kNotifyDir = "notify";
constexpr const char *kNotifyPath = "notify/notify.sock";

bool says_ready(std::string_view message) {
  for (auto line : sys::split_lines(message))
    if (line == "READY=1")
      return true;
  return false;
}

Result<void> send_to_host(const std::string &host_socket, std::string_view message) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (host_socket.size() >= sizeof addr.sun_path)
    return fail("NOTIFY_SOCKET " + host_socket + ": path too long", ENAMETOOLONG);
  host_socket.copy(addr.sun_path, sizeof addr.sun_path - 1);
  // An abstract socket is written "@name".
  if (addr.sun_path[0] == '@')
    addr.sun_path[0] = '\0';
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return fail_errno("create a socket for NOTIFY_SOCKET");
  UniqueFd socket_fd(fd);
  auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + host_socket.size());
  if (::sendto(fd, message.data(), message.size(), MSG_NOSIGNAL,
               reinterpret_cast<sockaddr *>(&addr), length) < 0)
    return fail_errno("send READY=1 to NOTIFY_SOCKET " + host_socket);
  return {};
}

} // namespace

Result<void> prepare_notify_socket(const StateDir &dir, spec::Config &config) {
  if (::mkdirat(dir.fd(), kNotifyDir, 0755) < 0 && errno != EEXIST)
    return fail_errno("create " + dir.path() + "/" + kNotifyDir);
  spec::Mount mount;
  mount.destination = "/run/notify";
  mount.type = "bind";
  mount.source = dir.path() + "/" + kNotifyDir;
  mount.options = {"bind", "nosuid", "noexec", "nodev", "ro"};
  config.mounts.push_back(std::move(mount));
  auto &env = config.process->env;
  std::erase_if(env, [](const std::string &v) { return v.starts_with("NOTIFY_SOCKET="); });
  env.push_back(std::string("NOTIFY_SOCKET=") + kContainerNotifySocket);
  return {};
}

Result<UniqueFd> bind_notify_socket(const StateDir &dir) {
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return fail_errno("create the container's notify socket");
  UniqueFd socket_fd(fd);
  ::unlinkat(dir.fd(), kNotifyPath, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dir.fd(), kNotifyPath);
  if (::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) < 0)
    return fail_errno("bind the container's notify socket in " + dir.path());
  // Any user of the container may notify, as under systemd.
  if (::fchmodat(dir.fd(), kNotifyPath, 0777, 0) < 0)
    return fail_errno("chmod the container's notify socket");
  return socket_fd;
}

Result<void> forward_ready(int socket_fd, const std::string &host_socket, pid_t init_pid) {
  int pidfd = sys::pidfd_open_raw(init_pid);
  if (pidfd < 0)
    return {}; // the init is gone already: nothing will say READY
  UniqueFd init(pidfd);
  char buffer[4096];
  for (;;) {
    pollfd fds[2] = {{socket_fd, POLLIN, 0}, {init.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      return fail_errno("wait for the container's READY=1");
    }
    if (fds[0].revents & POLLIN) {
      ssize_t n = ::recv(socket_fd, buffer, sizeof buffer, 0);
      if (n > 0 && says_ready(std::string_view(buffer, static_cast<std::size_t>(n))))
        return send_to_host(host_socket, "MAINPID=" + std::to_string(init_pid) + "\nREADY=1\n");
      continue;
    }
    if (fds[1].revents & POLLIN)
      return {};
  }
}

} // namespace berth::container
