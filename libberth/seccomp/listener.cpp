// The SCMP_ACT_NOTIFY hand-off of runtime.md "Container Process State": the
// listener fd goes to the agent at listenerPath over a unix socket, in one
// SCM_RIGHTS message whose bytes are the container process state.
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "seccomp/filter.hpp"
#include "sys/fd_passing.hpp"
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
  return with_context(sys::send_fd(connection, notify_fd, process_state),
                      "send seccomp listener fd");
}

} // namespace berth::seccomp
