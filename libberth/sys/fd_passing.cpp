#include "sys/fd_passing.hpp"

#include <sys/socket.h>

#include <cstring>

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

} // namespace berth::sys
