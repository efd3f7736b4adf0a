#include "container/sync_channel.hpp"

#include <sys/socket.h>

#include <vector>

namespace berth::container {
namespace {
constexpr std::size_t kMaxMessage = 64 * 1024;
}

Result<std::pair<SyncChannel, SyncChannel>> SyncChannel::make_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
    return fail_errno("socketpair");
  return std::pair{SyncChannel(UniqueFd(fds[0])), SyncChannel(UniqueFd(fds[1]))};
}

Result<void> SyncChannel::send(SyncMessage type, std::string_view payload) const {
  std::string message(1, static_cast<char>(type));
  message.append(payload.substr(0, kMaxMessage - 1));
  for (;;) {
    ssize_t n = ::send(fd_.get(), message.data(), message.size(), MSG_NOSIGNAL);
    if (n >= 0)
      return {};
    if (errno != EINTR)
      return fail_errno("send to container init");
  }
}

Result<std::pair<SyncMessage, std::string>> SyncChannel::receive() const {
  std::vector<char> buf(kMaxMessage);
  for (;;) {
    ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return fail_errno("receive from container init");
    if (n == 0)
      return fail("the other side exited during container setup");
    return std::pair{static_cast<SyncMessage>(buf[0]),
                     std::string(buf.data() + 1, static_cast<std::size_t>(n) - 1)};
  }
}

Result<std::string> SyncChannel::expect(SyncMessage type) const {
  BERTH_TRY_ASSIGN(auto message, receive());
  if (message.first == SyncMessage::Failed)
    return fail(std::move(message.second));
  if (message.first != type)
    return fail("unexpected message " + std::to_string(static_cast<int>(message.first)) +
                " during container setup");
  return std::move(message.second);
}

} // namespace berth::container
