#include "process/sync_channel.hpp"

#include <unistd.h>

#include <sys/socket.h>

#include <vector>

#include "sys/fd_passing.hpp"

namespace berth::process {
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

Result<std::optional<std::pair<SyncMessage, std::string>>> SyncChannel::receive_or_eof() const {
  std::vector<char> buf(kMaxMessage);
  for (;;) {
    ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return fail_errno("receive from container init");
    if (n == 0)
      return std::nullopt;
    return std::pair{static_cast<SyncMessage>(buf[0]),
                     std::string(buf.data() + 1, static_cast<std::size_t>(n) - 1)};
  }
}

Result<std::pair<SyncMessage, std::string>> SyncChannel::receive() const {
  BERTH_TRY_ASSIGN(auto message, receive_or_eof());
  if (!message)
    return fail("the other side exited during container setup");
  return std::move(*message);
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

Result<void> SyncChannel::send_fd(SyncMessage type, int fd) const {
  return with_context(sys::send_fd(fd_.get(), fd, std::string(1, static_cast<char>(type))),
                      "send to container init");
}

Result<UniqueFd> SyncChannel::expect_fd(SyncMessage type) const {
  auto received = sys::receive_with_fd(fd_.get(), kMaxMessage);
  if (!received)
    return fail(std::move(received.error().context("receive from berth")));
  auto &[payload, fd] = *received;
  const auto got = payload.empty() ? SyncMessage{} : static_cast<SyncMessage>(payload[0]);
  if (got == SyncMessage::Failed)
    return fail(payload.substr(1));
  if (got != type || !fd)
    return fail("unexpected message " + std::to_string(static_cast<int>(got)) +
                " during container setup");
  return std::move(fd);
}

void SyncChannel::report_and_exit(const Error &error, int status) const {
  (void)send(SyncMessage::Failed, error.message());
  ::_exit(status);
}

} // namespace berth::process
