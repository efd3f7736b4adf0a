// A fake system bus with a fake systemd behind it, for testing berth's D-Bus
// client without either: it serves a unix socket, speaks the real protocol
// (SASL EXTERNAL, then D-Bus messages), answers Hello, AddMatch,
// StartTransientUnit and StopUnit as dbus-daemon and systemd would, and
// records what it was sent. Behaviours make it misbehave in the ways a test
// needs (error replies, stalls, truncated or malformed messages).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace fake_bus {

enum class Behaviour {
  Done,              // the job ends with result "done"
  JobFailed,         // the job ends with result "failed"
  ErrorReply,        // StartTransientUnit: org.freedesktop.systemd1.UnitExists
  SignalFirst,       // JobRemoved (and a stranger's) before the method reply
  RejectAuth,        // REJECTED to AUTH
  StallAfterAuth,    // OK to AUTH, then nothing
  StallBeforeSignal, // replies with the job, never sends JobRemoved
  CloseMidMessage,   // half of the StartTransientUnit reply, then close
  Malformed,         // a StartTransientUnit reply whose string runs past its end
  NoSuchUnit,        // StopUnit: org.freedesktop.systemd1.NoSuchUnit
};

Behaviour behaviour_from_name(const std::string &name); // "done", "failed", ...

// One method call the peer received.
struct Call {
  std::string member;
  std::string signature;
  std::vector<std::string> args; // the string arguments, in order
  // StartTransientUnit's properties as text: "true", "42", "[123]", "x".
  std::map<std::string, std::string> properties;
  std::size_t aux_units = 0; // StartTransientUnit's last argument, its length
};

struct Log {
  std::vector<std::string> auth_lines; // without the leading NUL and CRLF
  std::vector<Call> calls;
  std::vector<std::string> problems; // what the peer found wrong in the client
};

// A listening socket at `path` (replaced if it exists), or in the abstract
// namespace for "@name".
int listen_at(const std::string &path);
// Serves one connection accepted on `listener` until the client closes it.
void serve_connection(int listener, Behaviour behaviour, Log &log);
// One line per call for a log file, its fields separated by tabs:
// "StartTransientUnit name mode k=v k=v ...", "StopUnit name mode"; and
// "AuthLine ...", "Problem ..." lines.
std::string describe(const Log &log);

} // namespace fake_bus
