// A minimal D-Bus client connection, for talking to systemd without libdbus
// or libsystemd: a unix socket to the bus, SASL EXTERNAL authentication as the
// caller's euid, Hello, then method calls whose replies are matched by serial.
// Every wait has one deadline, fixed when the connection is opened, so a bus
// that stalls makes the caller fail instead of hang.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cgroup/systemd/dbus_wire.hpp"
#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace berth::cgroup::dbus {

using Deadline = std::chrono::steady_clock::time_point;

// The system bus: $DBUS_SYSTEM_BUS_ADDRESS when set, else the specification's
// default, unix:path=/run/dbus/system_bus_socket (the specification's
// /var/run/dbus/system_bus_socket, /var/run being /run on Linux).
std::string system_bus_address();

// The socket path of a D-Bus address: the first "unix:path=..." or
// "unix:abstract=..." entry of a ';'-separated list, %-escapes decoded; an
// abstract name comes back with a leading NUL byte.
Result<std::string> unix_socket_path(std::string_view address);

// An error reply as one line: "<what>: <error name>: <its message>", the
// peer's text made printable and cut short.
Error error_reply(const Message &reply, std::string_view what);

class Connection {
public:
  // Connects to `address`, authenticates, and says Hello; fails with one line
  // naming the step when any of that does not finish by `deadline`.
  static Result<Connection> open(std::string_view address, Deadline deadline);

  // The serial for the next message sent.
  std::uint32_t next_serial() { return serial_++; }
  // The unique name the bus gave this connection (":1.42").
  const std::string &unique_name() const { return unique_name_; }

  Result<void> send(const std::vector<std::uint8_t> &message);
  // The next message from the peer.
  Result<Message> receive();
  // Sends `message` (made with `serial`) and reads until its reply, a method
  // return or an error. Signals read on the way are kept for take_signals();
  // other messages are dropped.
  Result<Message> request(const std::vector<std::uint8_t> &message, std::uint32_t serial,
                          std::string_view what);
  // request(), an error reply failing as "<what>: <error name>: <its message>".
  Result<Message> call(const std::vector<std::uint8_t> &message, std::uint32_t serial,
                       std::string_view what);
  // The signals call() read, oldest first, and forgets them.
  std::vector<Message> take_signals() { return std::exchange(signals_, {}); }

private:
  explicit Connection(UniqueFd fd, Deadline deadline) : fd_(std::move(fd)), deadline_(deadline) {}
  Result<void> authenticate();
  Result<std::string> read_line();
  Result<void> read_exactly(std::uint8_t *into, std::size_t size);
  Result<void> wait(short events);

  UniqueFd fd_;
  Deadline deadline_;
  std::uint32_t serial_ = 1;
  std::string unique_name_;
  std::vector<Message> signals_;
};

} // namespace berth::cgroup::dbus
