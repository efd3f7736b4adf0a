#include "fake_systemd_bus.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <optional>

#include "cgroup/systemd/dbus_wire.hpp"

namespace fake_bus {
namespace {

using berth::cgroup::dbus::Marshaller;
using berth::cgroup::dbus::Message;
using berth::cgroup::dbus::MessageType;
using berth::cgroup::dbus::Reader;

constexpr const char *kSystemdName = ":1.0"; // systemd's unique name on this bus
constexpr const char *kJobPath = "/org/freedesktop/systemd1/job/42";

bool read_exactly(int fd, std::uint8_t *into, std::size_t size) {
  std::size_t got = 0;
  while (got < size) {
    ssize_t n = ::recv(fd, into + got, size - got, 0);
    if (n <= 0)
      return false;
    got += static_cast<std::size_t>(n);
  }
  return true;
}

void write_all(int fd, const std::vector<std::uint8_t> &bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0)
      return;
    sent += static_cast<std::size_t>(n);
  }
}

void write_text(int fd, const std::string &text) {
  write_all(fd, std::vector<std::uint8_t>(text.begin(), text.end()));
}

std::optional<std::string> read_line(int fd) {
  std::string line;
  while (!line.ends_with("\r\n")) {
    std::uint8_t c = 0;
    if (!read_exactly(fd, &c, 1) || line.size() > 1024)
      return std::nullopt;
    line += static_cast<char>(c);
  }
  line.resize(line.size() - 2);
  return line;
}

// Reads until the client closes: what a stalled peer does.
void drain(int fd) {
  std::array<std::uint8_t, 4096> buffer{};
  while (::recv(fd, buffer.data(), buffer.size(), 0) > 0) {
  }
}

std::optional<Message> read_message(int fd) {
  std::array<std::uint8_t, berth::cgroup::dbus::kFixedHeaderSize> header{};
  if (!read_exactly(fd, header.data(), header.size()))
    return std::nullopt;
  auto size = berth::cgroup::dbus::message_size(header);
  if (!size)
    return std::nullopt;
  std::vector<std::uint8_t> bytes(*size);
  std::memcpy(bytes.data(), header.data(), header.size());
  if (!read_exactly(fd, bytes.data() + header.size(), *size - header.size()))
    return std::nullopt;
  auto message = berth::cgroup::dbus::parse_message(bytes);
  if (!message)
    return std::nullopt;
  return *message;
}

struct Fields {
  std::string path, interface, member, error_name, sender, destination;
  std::optional<std::uint32_t> reply_serial;
};

// A message as a bus peer sends it: little-endian, header fields a(yv).
std::vector<std::uint8_t> message(MessageType type, std::uint32_t serial, const Fields &fields,
                                  const std::string &signature,
                                  const std::vector<std::uint8_t> &body) {
  Marshaller m;
  m.byte('l');
  m.byte(static_cast<std::uint8_t>(type));
  m.byte(0);
  m.byte(1);
  m.uint32(static_cast<std::uint32_t>(body.size()));
  m.uint32(serial);
  std::size_t array = m.open_array(8);
  auto field = [&](std::uint8_t code, char type_code, const std::string &value) {
    if (value.empty())
      return;
    m.open_struct();
    m.byte(code);
    m.signature(std::string(1, type_code));
    if (type_code == 'g')
      m.signature(value);
    else
      m.string(value);
  };
  field(1, 'o', fields.path);
  field(2, 's', fields.interface);
  field(3, 's', fields.member);
  field(4, 's', fields.error_name);
  if (fields.reply_serial) {
    m.open_struct();
    m.byte(5);
    m.signature("u");
    m.uint32(*fields.reply_serial);
  }
  field(6, 's', fields.destination);
  field(7, 's', fields.sender);
  field(8, 'g', signature);
  m.close_array(array);
  m.align(8);
  auto bytes = m.take();
  bytes.insert(bytes.end(), body.begin(), body.end());
  return bytes;
}

std::vector<std::uint8_t> strings_body(std::initializer_list<std::string> values) {
  Marshaller m;
  for (const auto &v : values)
    m.string(v);
  return m.take();
}

std::vector<std::uint8_t> reply(const Message &call, std::uint32_t serial,
                                const std::string &sender, const std::string &signature,
                                const std::vector<std::uint8_t> &body) {
  return message(MessageType::MethodReturn, serial,
                 {.sender = sender, .destination = ":1.7", .reply_serial = call.serial}, signature,
                 body);
}

std::vector<std::uint8_t> error(const Message &call, std::uint32_t serial, const std::string &name,
                                const std::string &text) {
  return message(MessageType::Error, serial,
                 {.error_name = name,
                  .sender = kSystemdName,
                  .destination = ":1.7",
                  .reply_serial = call.serial},
                 "s", strings_body({text}));
}

std::vector<std::uint8_t> job_removed(std::uint32_t serial, const std::string &sender,
                                      const std::string &job, const std::string &unit,
                                      const std::string &result) {
  Marshaller m;
  m.uint32(42);
  m.string(job);
  m.string(unit);
  m.string(result);
  return message(MessageType::Signal, serial,
                 {.path = "/org/freedesktop/systemd1",
                  .interface = "org.freedesktop.systemd1.Manager",
                  .member = "JobRemoved",
                  .sender = sender},
                 "uoss", m.take());
}

// StartTransientUnit(s name, s mode, a(sv) properties, a(sa(sv)) aux).
bool read_start_arguments(const Message &msg, Call &call, Log &log) {
  Reader r(msg);
  auto name = r.string();
  auto mode = r.string();
  auto length = r.uint32();
  if (!name || !mode || !length || !r.align(8)) {
    log.problems.push_back("StartTransientUnit: unreadable arguments");
    return false;
  }
  call.args = {*name, *mode};
  std::size_t end = r.offset() + *length;
  while (r.offset() < end) {
    if (!r.align(8)) {
      log.problems.push_back("StartTransientUnit: unreadable property");
      return false;
    }
    auto key = r.string();
    auto type = r.signature();
    if (!key || !type) {
      log.problems.push_back("StartTransientUnit: unreadable property");
      return false;
    }
    std::string value;
    if (*type == "s") {
      value = r.string().value_or("?");
    } else if (*type == "b") {
      auto b = r.uint32();
      value.append(!b ? "?" : *b == 1 ? "true" : *b == 0 ? "false" : "bad-boolean");
    } else if (*type == "t") {
      auto t = r.uint64();
      value = t ? std::to_string(*t) : "?";
    } else if (*type == "au") {
      auto bytes = r.uint32();
      std::vector<std::string> pids;
      for (std::uint32_t i = 0; bytes && i < *bytes / 4; ++i) {
        auto pid = r.uint32();
        pids.push_back(pid ? std::to_string(*pid) : std::string("?"));
      }
      value.push_back('[');
      for (std::size_t i = 0; i < pids.size(); ++i) {
        if (i)
          value.push_back(',');
        value.append(pids[i]);
      }
      value.push_back(']');
    } else {
      log.problems.push_back("StartTransientUnit: property " + *key + " has type " + *type);
      return false;
    }
    call.properties[*key] = value;
  }
  auto aux = r.uint32();
  if (!aux || !r.align(8) || !r.at_end()) {
    log.problems.push_back("StartTransientUnit: bad auxiliary units or trailing bytes");
    return false;
  }
  call.aux_units = *aux;
  return true;
}

} // namespace

Behaviour behaviour_from_name(const std::string &name) {
  if (name == "failed")
    return Behaviour::JobFailed;
  if (name == "error")
    return Behaviour::ErrorReply;
  if (name == "stall")
    return Behaviour::StallBeforeSignal;
  return Behaviour::Done;
}

int listen_at(const std::string &path) {
  bool abstract = path.starts_with('@');
  if (!abstract)
    ::unlink(path.c_str());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::size_t length = std::min(path.size(), sizeof addr.sun_path - 1);
  std::memcpy(addr.sun_path, path.data(), length);
  if (abstract)
    addr.sun_path[0] = '\0';
  auto size = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + length + (abstract ? 0 : 1));
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr *>(&addr), size) < 0 || ::listen(fd, 8) < 0) {
    if (fd >= 0)
      ::close(fd);
    return -1;
  }
  return fd;
}

void serve_connection(int listener, Behaviour behaviour, Log &log) {
  int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) {
    log.problems.push_back("accept failed");
    return;
  }
  std::uint8_t nul = 1;
  if (!read_exactly(fd, &nul, 1) || nul != 0)
    log.problems.push_back("the client did not start with a NUL byte");
  auto auth = read_line(fd);
  log.auth_lines.push_back(auth.value_or("<none>"));
  if (behaviour == Behaviour::RejectAuth) {
    write_text(fd, "REJECTED DBUS_COOKIE_SHA1\r\n");
    drain(fd);
    ::close(fd);
    return;
  }
  write_text(fd, "OK 0123456789abcdef0123456789abcdef\r\n");
  if (behaviour == Behaviour::StallAfterAuth) {
    drain(fd);
    ::close(fd);
    return;
  }
  auto begin = read_line(fd);
  log.auth_lines.push_back(begin.value_or("<none>"));
  std::uint32_t serial = 100;
  while (auto msg = read_message(fd)) {
    Call call{.member = msg->member, .signature = msg->signature};
    if (msg->type != MessageType::MethodCall) {
      log.problems.push_back("the client sent a message that is not a call");
      break;
    }
    if (msg->member == "Hello") {
      log.calls.push_back(call);
      write_all(fd, reply(*msg, serial++, "org.freedesktop.DBus", "s", strings_body({":1.7"})));
    } else if (msg->member == "AddMatch") {
      call.args = {Reader(*msg).string().value_or("?")};
      log.calls.push_back(call);
      write_all(fd, reply(*msg, serial++, "org.freedesktop.DBus", "", {}));
    } else if (msg->member == "StartTransientUnit") {
      bool readable = read_start_arguments(*msg, call, log);
      log.calls.push_back(call);
      if (!readable)
        break;
      const std::string &unit = call.args[0];
      switch (behaviour) {
      case Behaviour::ErrorReply:
        write_all(fd, error(*msg, serial++, "org.freedesktop.systemd1.UnitExists",
                            "Unit " + unit + " already exists."));
        break;
      case Behaviour::CloseMidMessage: {
        auto bytes = reply(*msg, serial++, kSystemdName, "o", strings_body({kJobPath}));
        bytes.resize(bytes.size() / 2);
        write_all(fd, bytes);
        ::close(fd);
        return;
      }
      case Behaviour::Malformed: {
        auto bytes = reply(*msg, serial++, kSystemdName, "o", strings_body({kJobPath}));
        // The body's string length, its first 4 bytes: far past the end.
        std::size_t body_at = bytes.size() - (4 + std::strlen(kJobPath) + 1);
        bytes[body_at + 3] = 0x7f;
        write_all(fd, bytes);
        break;
      }
      case Behaviour::SignalFirst:
        write_all(fd, job_removed(serial++, ":1.99", kJobPath, unit, "failed")); // a stranger
        write_all(fd, job_removed(serial++, kSystemdName, "/org/freedesktop/systemd1/job/7", unit,
                                  "failed")); // another job
        write_all(fd, job_removed(serial++, kSystemdName, kJobPath, unit, "done"));
        write_all(fd, reply(*msg, serial++, kSystemdName, "o", strings_body({kJobPath})));
        break;
      case Behaviour::StallBeforeSignal:
        write_all(fd, reply(*msg, serial++, kSystemdName, "o", strings_body({kJobPath})));
        break;
      default:
        write_all(fd, reply(*msg, serial++, kSystemdName, "o", strings_body({kJobPath})));
        write_all(fd, job_removed(serial++, kSystemdName, kJobPath, unit,
                                  behaviour == Behaviour::JobFailed ? "failed" : "done"));
      }
    } else if (msg->member == "StopUnit") {
      Reader r(*msg);
      call.args = {r.string().value_or("?"), r.string().value_or("?")};
      log.calls.push_back(call);
      if (behaviour == Behaviour::NoSuchUnit) {
        write_all(fd, error(*msg, serial++, "org.freedesktop.systemd1.NoSuchUnit",
                            "Unit " + call.args[0] + " not loaded."));
      } else {
        write_all(fd, reply(*msg, serial++, kSystemdName, "o", strings_body({kJobPath})));
        write_all(fd, job_removed(serial++, kSystemdName, kJobPath, call.args[0], "done"));
      }
    } else {
      log.calls.push_back(call);
      write_all(fd, error(*msg, serial++, "org.freedesktop.DBus.Error.UnknownMethod",
                          "no " + msg->member));
    }
  }
  ::close(fd);
}

std::string describe(const Log &log) {
  std::string out;
  for (const auto &line : log.auth_lines)
    out += "AuthLine " + line + "\n";
  for (const auto &call : log.calls) {
    out += call.member;
    for (const auto &arg : call.args)
      out += "\t" + arg;
    for (const auto &[key, value] : call.properties)
      out += "\t" + key + "=" + value;
    out += "\n";
  }
  for (const auto &problem : log.problems)
    out += "Problem " + problem + "\n";
  return out;
}

} // namespace fake_bus
