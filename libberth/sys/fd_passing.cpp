#include "sys/fd_passing.hpp"

#include <sys/socket.h>

#include <cstring>
#include <vector>

namespace berth::sys {

Result<void> send_fd(int socket_fd, int fd, std::string_view payload) {
  if (payload.empty())
    return fail("an fd needs a payload to travel with", EINVAL);
  union {
    cmsghdr header;
    char bytes[CMSG_SPACE(sizeof(int))];
  } control{};
  iovec iov{.iov_base = const_cast<char *>(payload.data()), .iov_len = payload.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.bytes;
  msg.msg_controllen = sizeof control.bytes;
  cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));

  ssize_t n;
  do
    n = ::sendmsg(socket_fd, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return fail_errno("sendmsg");
  // The fd went with the first bytes; a long payload may need more sends.
  auto done = static_cast<std::size_t>(n);
  while (done < payload.size()) {
    n = ::send(socket_fd, payload.data() + done, payload.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return fail_errno("send");
    done += static_cast<std::size_t>(n);
  }
  return {};
}

Result<MessageWithFd> receive_with_fd(int socket_fd, std::size_t max_payload) {
  // Room for a few fds, so that a sender passing more than one is noticed.
  constexpr std::size_t kMaxFds = 4;
  std::string payload(max_payload, '\0');
  union {
    cmsghdr header;
    char bytes[CMSG_SPACE(sizeof(int) * kMaxFds)];
  } control{};
  iovec iov{.iov_base = payload.data(), .iov_len = payload.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.bytes;
  msg.msg_controllen = sizeof control.bytes;
  ssize_t got;
  do
    got = ::recvmsg(socket_fd, &msg, MSG_CMSG_CLOEXEC);
  while (got < 0 && errno == EINTR);
  if (got < 0)
    return fail_errno("recvmsg");
  std::vector<UniqueFd> fds;
  for (cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
      continue;
    std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      fds.emplace_back(fd);
    }
  }
  if (got == 0 && fds.empty())
    return fail("the sender closed the connection", EPIPE);
  if (msg.msg_flags & MSG_CTRUNC)
    return fail("more fds than expected", EPROTO);
  if (fds.size() > 1)
    return fail("expected one fd, got " + std::to_string(fds.size()), EPROTO);
  payload.resize(static_cast<std::size_t>(got));
  MessageWithFd message{std::move(payload), {}};
  if (!fds.empty())
    message.fd = std::move(fds[0]);
  return message;
}

} // namespace berth::sys
