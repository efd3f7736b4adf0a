// The SCMP_ACT_NOTIFY hand-off of runtime.md "Container Process State": the
// listener fd goes to the agent at listenerPath over a unix socket, in one
// SCM_RIGHTS message whose bytes are the container process state.
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "seccomp/filter.hpp"
#include "sys/log.hpp"
#include "json/value.hpp"

namespace berth::seccomp {

std::string process_state_json(std::string_view oci_version, int pid,
                               const std::optional<std::string> &metadata,
                               std::string_view state_json) {
  json::Value doc = json::Value::object();
  doc.set("ociVersion", json::Value::string(std::string(oci_version)));
  json::Value fds = json::Value::array();
  // The name of each fd, in SCM_RIGHTS order.
  fds.push_back(json::Value::string("seccompFd"));
  doc.set("fds", std::move(fds));
  doc.set("pid", json::Value::number(static_cast<std::int64_t>(pid)));
  if (metadata)
    doc.set("metadata", json::Value::string(*metadata));
  // Parsed and re-serialized rather than spliced as text, so whatever the
  // caller passes, the agent gets one well-formed document.
  auto state = json::parse(state_json);
  if (!state)
    log::warn("seccomp: container state for the listener does not parse: " +
              state.error().message());
  doc.set("state", state ? std::move(*state) : json::Value::null());
  return json::serialize(doc);
}

Result<UniqueFd> connect_listener(const std::string &listener_path) {
  std::string what = "connect to seccomp listener " + listener_path;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (listener_path.empty())
    return fail(what + ": empty path", EINVAL);
  // sun_path needs room for the terminating NUL for the kernel to take a path.
  if (listener_path.size() >= sizeof addr.sun_path)
    return fail(what + ": the path is " + std::to_string(listener_path.size()) +
                    " bytes, a unix socket path holds at most " +
                    std::to_string(sizeof addr.sun_path - 1),
                ENAMETOOLONG);
  std::memcpy(addr.sun_path, listener_path.data(), listener_path.size());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd)
    return fail_errno(what + ": socket");
  if (::connect(fd.get(), reinterpret_cast<const sockaddr *>(&addr), sizeof addr) < 0)
    return fail_errno(what);
  return fd;
}

Result<void> send_listener_fd(int connection, int notify_fd, std::string_view process_state) {
  // A stream socket carries ancillary data only along with at least one byte.
  if (process_state.empty())
    return fail("send seccomp listener fd: empty process state", EINVAL);
  union {
    cmsghdr header;
    char bytes[CMSG_SPACE(sizeof(int))];
  } control{};
  iovec iov{.iov_base = const_cast<char *>(process_state.data()), .iov_len = process_state.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.bytes;
  msg.msg_controllen = sizeof control.bytes;
  cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cmsg), &notify_fd, sizeof(int));

  // MSG_NOSIGNAL: an agent that went away is an error to report, not SIGPIPE.
  ssize_t n;
  do
    n = ::sendmsg(connection, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return fail_errno("send seccomp listener fd");
  // The fd travelled with the first byte; a long state may need more sends.
  auto done = static_cast<std::size_t>(n);
  while (done < process_state.size()) {
    n = ::send(connection, process_state.data() + done, process_state.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return fail_errno("send seccomp listener state");
    done += static_cast<std::size_t>(n);
  }
  return {};
}

} // namespace berth::seccomp
