#include "cgroup/systemd/dbus_connection.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace berth::cgroup::dbus {
namespace {

constexpr std::string_view kDefaultSystemBus = "unix:path=/run/dbus/system_bus_socket";
// An authentication line is short ("OK" and a 32-digit GUID); a peer that
// sends more is not a bus.
constexpr std::size_t kMaxAuthLine = 512;
// Signals kept while waiting for a reply: the bus may route others' signals to
// berth (a JobRemoved for every job, once someone subscribed), but never this
// many during one call; a peer that floods fails the call instead of growing
// berth's memory.
constexpr std::size_t kMaxKeptSignals = 4096;

int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

Result<std::string> unescape(std::string_view value) {
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '%') {
      out += value[i];
      continue;
    }
    if (i + 2 >= value.size())
      return fail("D-Bus address has a truncated %-escape");
    int high = hex_digit(value[i + 1]);
    int low = hex_digit(value[i + 2]);
    if (high < 0 || low < 0)
      return fail("D-Bus address has an invalid %-escape");
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

// The ASCII decimal uid, hex-encoded: what SASL EXTERNAL sends as the
// identity ("0" is "30").
std::string hex_uid(uid_t uid) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (char c : std::to_string(uid)) {
    auto byte = static_cast<unsigned char>(c);
    out += kDigits[byte >> 4];
    out += kDigits[byte & 0xf];
  }
  return out;
}

// Text from the peer, fit for a one-line error: control characters become
// '?', and it is cut short.
std::string printable(std::string_view text) {
  constexpr std::size_t kMax = 300;
  std::string out;
  for (char c : text.substr(0, kMax))
    out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c;
  if (text.size() > kMax)
    out += "...";
  return out;
}

// An error reply's message, its first argument when that is a string.
std::string error_text(const Message &message) {
  if (!message.signature.starts_with('s'))
    return {};
  auto text = Reader(message).string();
  return text ? printable(*text) : std::string();
}

} // namespace

std::string system_bus_address() {
  const char *env = std::getenv("DBUS_SYSTEM_BUS_ADDRESS");
  return env && *env ? std::string(env) : std::string(kDefaultSystemBus);
}

Result<std::string> unix_socket_path(std::string_view address) {
  std::string_view whole = address;
  while (!address.empty()) {
    auto semicolon = address.find(';');
    std::string_view entry = address.substr(0, semicolon);
    address.remove_prefix(semicolon == std::string_view::npos ? address.size() : semicolon + 1);
    if (!entry.starts_with("unix:"))
      continue;
    entry.remove_prefix(5);
    while (!entry.empty()) {
      auto comma = entry.find(',');
      std::string_view pair = entry.substr(0, comma);
      entry.remove_prefix(comma == std::string_view::npos ? entry.size() : comma + 1);
      if (pair.starts_with("path="))
        return unescape(pair.substr(5));
      if (pair.starts_with("abstract=")) {
        BERTH_TRY_ASSIGN(std::string name, unescape(pair.substr(9)));
        return std::string(1, '\0') + name;
      }
    }
  }
  return fail("D-Bus address \"" + std::string(whole) +
              "\" names no unix:path= or unix:abstract= socket");
}

Result<Connection> Connection::open(std::string_view address, Deadline deadline) {
  auto context = "D-Bus system bus at " + std::string(address);
  BERTH_TRY_ASSIGN(std::string path, with_context(unix_socket_path(address), context));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path)
    return fail(context + ": socket path is empty or too long");
  std::memcpy(addr.sun_path, path.data(), path.size());
  socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() +
                                            (path.front() == '\0' ? 0 : 1));
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return fail_errno(context + ": socket");
  Connection connection(UniqueFd(fd), deadline);
  if (::connect(fd, reinterpret_cast<sockaddr *>(&addr), length) < 0) {
    // EAGAIN: the bus's backlog is full, and waiting would not connect.
    if (errno != EINPROGRESS)
      return fail_errno(context + ": connect");
    BERTH_TRY_CTX(connection.wait(POLLOUT), context + ": connect");
    int error = 0;
    socklen_t size = sizeof error;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) < 0 || error != 0)
      return fail(context + ": connect: " + std::strerror(error), error);
  }
  BERTH_TRY_CTX(connection.authenticate(), context + ": authentication");
  std::uint32_t serial = connection.next_serial();
  BERTH_TRY_ASSIGN(Message reply, with_context(connection.call(hello_message(serial), serial,
                                                               "org.freedesktop.DBus.Hello"),
                                               context));
  if (reply.signature != "s")
    return fail(context + ": Hello replied with signature \"" + reply.signature +
                "\", expected \"s\"");
  BERTH_TRY_ASSIGN(connection.unique_name_, with_context(Reader(reply).string(), context));
  return connection;
}

Result<void> Connection::wait(short events) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline_ - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return fail("timed out waiting for the bus");
    pollfd p{.fd = fd_.get(), .events = events, .revents = 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left.count() + 1, INT32_MAX)));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return fail_errno("poll");
    }
    if (n > 0)
      return {}; // readable, writable, or closed: the read or write says which
  }
}

Result<void> Connection::send(const std::vector<std::uint8_t> &message) {
  std::size_t sent = 0;
  while (sent < message.size()) {
    ssize_t n = ::send(fd_.get(), message.data() + sent, message.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN) {
        BERTH_TRY(wait(POLLOUT));
        continue;
      }
      return fail_errno("send to the bus");
    }
    sent += static_cast<std::size_t>(n);
  }
  return {};
}

Result<void> Connection::read_exactly(std::uint8_t *into, std::size_t size) {
  std::size_t got = 0;
  while (got < size) {
    ssize_t n = ::recv(fd_.get(), into + got, size - got, 0);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN) {
        BERTH_TRY(wait(POLLIN));
        continue;
      }
      return fail_errno("read from the bus");
    }
    if (n == 0)
      return fail("the bus closed the connection");
    got += static_cast<std::size_t>(n);
  }
  return {};
}

// One byte at a time: the bytes after the line are the first message's, and
// must stay in the socket.
Result<std::string> Connection::read_line() {
  std::string line;
  for (;;) {
    std::uint8_t c = 0;
    BERTH_TRY(read_exactly(&c, 1));
    line += static_cast<char>(c);
    if (line.ends_with("\r\n")) {
      line.resize(line.size() - 2);
      return line;
    }
    if (line.size() > kMaxAuthLine)
      return fail("the bus sent an overlong authentication line");
  }
}

// SASL EXTERNAL (the specification's "Authentication Protocol"): a NUL byte,
// then AUTH with the uid the server checks against the socket's credentials.
// No NEGOTIATE_UNIX_FD: berth passes no fds.
Result<void> Connection::authenticate() {
  std::string auth = std::string(1, '\0') + "AUTH EXTERNAL " + hex_uid(::geteuid()) + "\r\n";
  BERTH_TRY(send(std::vector<std::uint8_t>(auth.begin(), auth.end())));
  auto line = read_line();
  if (!line)
    return fail(std::move(line.error()));
  std::string_view reply = *line;
  if (reply.starts_with("REJECTED"))
    return fail("the bus rejected EXTERNAL as uid " + std::to_string(::geteuid()) +
                " (it offers:" + printable(reply.substr(8)) + ")");
  if (!reply.starts_with("OK "))
    return fail("unexpected reply to AUTH: " + printable(reply));
  std::string begin = "BEGIN\r\n";
  return send(std::vector<std::uint8_t>(begin.begin(), begin.end()));
}

Result<Message> Connection::receive() {
  std::array<std::uint8_t, kFixedHeaderSize> header{};
  BERTH_TRY(read_exactly(header.data(), header.size()));
  BERTH_TRY_ASSIGN(std::size_t size, message_size(header));
  std::vector<std::uint8_t> bytes(size);
  std::memcpy(bytes.data(), header.data(), header.size());
  BERTH_TRY(read_exactly(bytes.data() + header.size(), size - header.size()));
  return parse_message(bytes);
}

Error error_reply(const Message &reply, std::string_view what) {
  std::string detail = error_text(reply);
  return Error(std::string(what) + ": " + printable(reply.error_name) +
               (detail.empty() ? "" : ": " + detail));
}

Result<Message> Connection::request(const std::vector<std::uint8_t> &message, std::uint32_t serial,
                                    std::string_view what) {
  BERTH_TRY_CTX(send(message), what);
  for (;;) {
    BERTH_TRY_ASSIGN(Message received, with_context(receive(), what));
    if (received.type == MessageType::Signal) {
      if (signals_.size() >= kMaxKeptSignals)
        return fail(std::string(what) + ": the bus sent more than " +
                    std::to_string(kMaxKeptSignals) + " signals before the reply");
      signals_.push_back(std::move(received));
      continue;
    }
    // A reply to another serial, or a call (berth serves none), is not ours.
    if (received.reply_serial == serial &&
        (received.type == MessageType::Error || received.type == MessageType::MethodReturn))
      return received;
  }
}

Result<Message> Connection::call(const std::vector<std::uint8_t> &message, std::uint32_t serial,
                                 std::string_view what) {
  BERTH_TRY_ASSIGN(Message reply, request(message, serial, what));
  if (reply.type == MessageType::Error)
    return fail(error_reply(reply, what));
  return reply;
}

} // namespace berth::cgroup::dbus
