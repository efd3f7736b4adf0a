// berth's D-Bus client against a fake bus peer (fake_systemd_bus.hpp) that
// speaks the real protocol over a unix socket named in
// DBUS_SYSTEM_BUS_ADDRESS, as the system bus with systemd behind it would; and
// the message reader against hand-written bytes from the specification.
#include <criterion/criterion.h>

#include <stdlib.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "cgroup/manager.hpp"
#include "cgroup/systemd/dbus_connection.hpp"
#include "cgroup/systemd/dbus_wire.hpp"
#include "cgroup/systemd/systemd_scope.hpp"
#include "fake_systemd_bus.hpp"
#include "string_assert.hpp"
#include "json/value.hpp"

using namespace berth;
using namespace berth::cgroup;
using namespace std::chrono_literals;

namespace {

// A fake bus on an abstract socket (nothing to clean up when an assertion
// ends the test early), serving `connections` connections in turn on a
// thread; the log is read once the thread is joined.
class FakeBus {
public:
  FakeBus(fake_bus::Behaviour behaviour, int connections = 1) {
    std::string name = "berth-fake-bus-" + std::to_string(::getpid());
    listener_ = fake_bus::listen_at("@" + name);
    cr_assert_geq(listener_, 0);
    ::setenv("DBUS_SYSTEM_BUS_ADDRESS", ("unix:abstract=" + name).c_str(), 1);
    thread_ = std::thread([this, behaviour, connections] {
      for (int i = 0; i < connections; ++i)
        fake_bus::serve_connection(listener_, behaviour, log_);
    });
  }
  ~FakeBus() {
    if (thread_.joinable())
      thread_.join();
    ::close(listener_);
  }
  const fake_bus::Log &log() {
    thread_.join();
    return log_;
  }

private:
  int listener_ = -1;
  std::thread thread_;
  fake_bus::Log log_;
};

systemd::TransientScope scope_for(pid_t pid) {
  systemd::TransientScope scope{.unit = "berth-c1.scope",
                                .slice = "machine-app.slice",
                                .description = "berth container c1",
                                .pid = pid};
  scope.memory_max = 64u << 20;
  scope.tasks_max = 100;
  scope.cpu_weight = 39;
  return scope;
}

std::string hex(const std::string &text) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : text) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0xf];
  }
  return out;
}

void assert_fails_with(const Result<void> &result, const std::string &needle) {
  cr_assert(!result.has_value(), "expected an error containing `%s`", needle.c_str());
  std::string message = result.error().message();
  cr_assert(message.find(needle) != std::string::npos, "`%s` not in `%s`", needle.c_str(),
            message.c_str());
  cr_assert(message.find('\n') == std::string::npos, "not one line: `%s`", message.c_str());
}

} // namespace

Test(systemd_scope, start_scope_speaks_the_protocol) {
  FakeBus bus(fake_bus::Behaviour::Done);
  auto started = systemd::start_scope(scope_for(4242), 10s);
  cr_assert(started.has_value(), "%s", started ? "" : started.error().message().c_str());
  const auto &log = bus.log();
  cr_assert(log.problems.empty(), "%s", fake_bus::describe(log).c_str());
  cr_assert_eq(log.auth_lines.size(), 2u);
  BERTH_ASSERT_STR_EQ(log.auth_lines[0], "AUTH EXTERNAL " + hex(std::to_string(::geteuid())));
  BERTH_ASSERT_STR_EQ(log.auth_lines[1], "BEGIN");
  cr_assert_eq(log.calls.size(), 3u, "%s", fake_bus::describe(log).c_str());
  BERTH_ASSERT_STR_EQ(log.calls[0].member, "Hello");
  // AddMatch comes before the call, so that JobRemoved cannot be missed.
  BERTH_ASSERT_STR_EQ(log.calls[1].member, "AddMatch");
  BERTH_ASSERT_STR_EQ(log.calls[1].args.at(0), std::string(systemd::kJobRemovedMatch));
  const auto &start = log.calls[2];
  BERTH_ASSERT_STR_EQ(start.member, "StartTransientUnit");
  BERTH_ASSERT_STR_EQ(start.signature, "ssa(sv)a(sa(sv))");
  BERTH_ASSERT_STR_EQ(start.args.at(0), "berth-c1.scope");
  BERTH_ASSERT_STR_EQ(start.args.at(1), "replace");
  BERTH_ASSERT_STR_EQ(start.properties.at("PIDs"), "[4242]");
  BERTH_ASSERT_STR_EQ(start.properties.at("Delegate"), "true");
  BERTH_ASSERT_STR_EQ(start.properties.at("Slice"), "machine-app.slice");
  BERTH_ASSERT_STR_EQ(start.properties.at("MemoryMax"), std::to_string(64u << 20));
  BERTH_ASSERT_STR_EQ(start.properties.at("TasksMax"), "100");
  BERTH_ASSERT_STR_EQ(start.properties.at("CPUWeight"), "39");
  BERTH_ASSERT_STR_EQ(start.properties.at("Description"), "berth container c1");
  cr_assert_eq(start.aux_units, 0u);
}

Test(systemd_scope, job_removed_before_the_reply_and_foreign_signals) {
  // systemd may finish the job before berth reads the reply; a JobRemoved
  // from another peer or for another job does not count.
  FakeBus bus(fake_bus::Behaviour::SignalFirst);
  auto started = systemd::start_scope(scope_for(4242), 10s);
  cr_assert(started.has_value(), "%s", started ? "" : started.error().message().c_str());
  cr_assert(bus.log().problems.empty());
}

Test(systemd_scope, failed_job) {
  FakeBus bus(fake_bus::Behaviour::JobFailed);
  auto started = systemd::start_scope(scope_for(4242), 10s);
  assert_fails_with(started, "start berth-c1.scope: systemd's job "
                             "/org/freedesktop/systemd1/job/42 ended with result \"failed\"");
}

Test(systemd_scope, error_reply) {
  FakeBus bus(fake_bus::Behaviour::ErrorReply);
  auto started = systemd::start_scope(scope_for(4242), 10s);
  assert_fails_with(started, "StartTransientUnit: org.freedesktop.systemd1.UnitExists: Unit "
                             "berth-c1.scope already exists.");
}

Test(systemd_scope, rejected_authentication) {
  FakeBus bus(fake_bus::Behaviour::RejectAuth);
  auto started = systemd::start_scope(scope_for(4242), 10s);
  assert_fails_with(started, "authentication: the bus rejected EXTERNAL as uid " +
                                 std::to_string(::geteuid()) + " (it offers: DBUS_COOKIE_SHA1)");
}

Test(systemd_scope, stalled_bus_times_out) {
  FakeBus bus(fake_bus::Behaviour::StallAfterAuth);
  auto started = systemd::start_scope(scope_for(4242), 300ms);
  assert_fails_with(started, "timed out waiting for the bus");
}

Test(systemd_scope, job_that_never_ends_times_out) {
  FakeBus bus(fake_bus::Behaviour::StallBeforeSignal);
  auto started = systemd::start_scope(scope_for(4242), 300ms);
  assert_fails_with(started, "waiting for /org/freedesktop/systemd1/job/42: timed out");
}

Test(systemd_scope, peer_closes_mid_message) {
  FakeBus bus(fake_bus::Behaviour::CloseMidMessage);
  auto started = systemd::start_scope(scope_for(4242), 10s);
  assert_fails_with(started, "the bus closed the connection");
}

Test(systemd_scope, malformed_reply) {
  FakeBus bus(fake_bus::Behaviour::Malformed);
  auto started = systemd::start_scope(scope_for(4242), 10s);
  assert_fails_with(started, "D-Bus string runs past the end of its message");
}

Test(systemd_scope, no_bus) {
  ::setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/berth-test-bus", 1);
  auto started = systemd::start_scope(scope_for(4242), 10s);
  assert_fails_with(started, "D-Bus system bus at unix:path=/nonexistent/berth-test-bus: connect");
}

Test(systemd_scope, stop_unit) {
  FakeBus bus(fake_bus::Behaviour::Done);
  auto stopped = systemd::stop_unit("berth-c1.scope", 10s);
  cr_assert(stopped.has_value(), "%s", stopped ? "" : stopped.error().message().c_str());
  const auto &log = bus.log();
  cr_assert_eq(log.calls.size(), 3u, "%s", fake_bus::describe(log).c_str());
  BERTH_ASSERT_STR_EQ(log.calls[1].member, "AddMatch");
  BERTH_ASSERT_STR_EQ(log.calls[2].member, "StopUnit");
  BERTH_ASSERT_STR_EQ(log.calls[2].signature, "ss");
  BERTH_ASSERT_STR_EQ(log.calls[2].args.at(0), "berth-c1.scope");
  BERTH_ASSERT_STR_EQ(log.calls[2].args.at(1), "replace");
}

Test(systemd_scope, stop_unit_that_is_gone) {
  FakeBus bus(fake_bus::Behaviour::NoSuchUnit);
  auto stopped = systemd::stop_unit("berth-c1.scope", 10s);
  cr_assert(stopped.has_value(), "%s", stopped ? "" : stopped.error().message().c_str());
}

Test(systemd_scope, manager_destroy_stops_the_recorded_scope) {
  // A cgroup recorded with its scope, as create leaves it in state.json; the
  // directory does not exist, so destroy() only has the unit to stop.
  auto description = json::parse(R"({"hierarchies":[{"version":2,
      "mount_point":"/nonexistent-cgroup-mount","controllers":[],
      "path":"/system.slice/berth-c1.scope","created":[]}],
      "systemd":{"slice":"system.slice","prefix":"berth","name":"c1"}})");
  cr_assert(description.has_value());
  auto manager = Manager::from_description(*description);
  cr_assert(manager.has_value(), "%s", manager ? "" : manager.error().message().c_str());
  cr_assert(manager->systemd_managed());
  auto again = manager->describe();
  BERTH_ASSERT_STR_EQ(again.find("systemd")->find("unit")->text(), "berth-c1.scope");
  FakeBus bus(fake_bus::Behaviour::Done);
  auto destroyed = manager->destroy();
  cr_assert(destroyed.has_value(), "%s", destroyed ? "" : destroyed.error().message().c_str());
  const auto &log = bus.log();
  cr_assert_eq(log.calls.size(), 3u, "%s", fake_bus::describe(log).c_str());
  BERTH_ASSERT_STR_EQ(log.calls[2].member, "StopUnit");
  BERTH_ASSERT_STR_EQ(log.calls[2].args.at(0), "berth-c1.scope");
}

Test(systemd_scope, recorded_scope_is_checked) {
  auto description = json::parse(R"({"hierarchies":[{"version":2,
      "mount_point":"/sys/fs/cgroup","controllers":[],
      "path":"/system.slice/x.scope","created":[]}],
      "systemd":{"slice":"../etc","prefix":"berth","name":"c1"}})");
  cr_assert(description.has_value());
  auto manager = Manager::from_description(*description);
  cr_assert(!manager.has_value());
  cr_assert(manager.error().message().find("does not name a valid scope") != std::string::npos,
            "%s", manager.error().message().c_str());
}

// ---- The reader, on bytes written out from the specification. ----

namespace {

std::vector<std::uint8_t> bytes(std::initializer_list<int> values) {
  std::vector<std::uint8_t> out;
  for (int v : values)
    out.push_back(static_cast<std::uint8_t>(v));
  return out;
}

} // namespace

Test(dbus_wire, big_endian_method_return) {
  // 'B', METHOD_RETURN, flags 0, version 1, body 8 bytes, serial 7, fields
  // 15 bytes: REPLY_SERIAL (5) "u" 3, SIGNATURE (8) "g" "s"; the body the
  // string "abc".
  auto message = bytes({'B', 2, 0,   1,  0,   0,   0,   8, 0, 0, 0, 7,
                        0,   0, 0,   15, 5,   1,   'u', 0, 0, 0, 0, 3, // 16..23
                        8,   1, 'g', 0,  1,   's', 0,   0,             // 24..30, pad to 32
                        0,   0, 0,   3,  'a', 'b', 'c', 0});           // body
  auto parsed = dbus::parse_message(message);
  cr_assert(parsed.has_value(), "%s", parsed ? "" : parsed.error().message().c_str());
  cr_assert(parsed->type == dbus::MessageType::MethodReturn);
  cr_assert_eq(parsed->serial, 7u);
  cr_assert_eq(parsed->reply_serial.value_or(0), 3u);
  BERTH_ASSERT_STR_EQ(parsed->signature, "s");
  BERTH_ASSERT_STR_EQ(dbus::Reader(*parsed).string().value_or("?"), "abc");
}

Test(dbus_wire, unknown_header_fields_are_skipped) {
  // Field 42 holding an a(yv) with one entry, before REPLY_SERIAL.
  auto message = bytes({'l', 2, 0,   1,  0, 0,   0,   0,   1,   0,   0, 0, 32,
                        0,   0, 0,   42, 5, 'a', '(', 'y', 'v', ')', 0, // 16..23: code, signature
                        8,   0, 0,   0,  0, 0,   0,   0,   // array of 8 bytes, pad to 32
                        9,   1, 'u', 0,  1, 0,   0,   0,   // 32..39: (y=9, v=u 1)
                        5,   1, 'u', 0,  9, 0,   0,   0}); // 40..47: REPLY_SERIAL 9
  auto parsed = dbus::parse_message(message);
  cr_assert(parsed.has_value(), "%s", parsed ? "" : parsed.error().message().c_str());
  cr_assert_eq(parsed->reply_serial.value_or(0), 9u);
}

Test(dbus_wire, malformed_messages_are_refused) {
  struct Case {
    std::vector<std::uint8_t> bytes;
    const char *error;
  };
  std::vector<Case> cases = {
      // A string header field whose length runs past the fields' end.
      {bytes({'l', 2, 0,   1, 0,   0, 0, 0, 1,   0, 0, 0, 12, 0, 0, 0,
              7,   1, 's', 0, 200, 0, 0, 0, 'x', 0, 0, 0, 0,  0, 0, 0}),
       "D-Bus string runs past the end of its message"},
      // A header field typed "v" holding a signature that is no type.
      {bytes({'l', 2, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0, 40, 1, 'v', 0, 1, 'Z', 0, 0}),
       "unknown type code 'Z'"},
      // REPLY_SERIAL with the wrong type.
      {bytes({'l', 2, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0, 5, 1, 'y', 0, 3, 0, 0, 0}),
       "header field 5 has type \"y\", expected \"u\""},
      // A method return without REPLY_SERIAL.
      {bytes({'l', 2, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0}),
       "lacks a header field its type requires"},
      // UNIX_FDS, never negotiated.
      {bytes({'l', 2, 0,   1, 0, 0, 0, 0, 1, 0, 0,   0, 16, 0, 0, 0,
              5,   1, 'u', 0, 3, 0, 0, 0, 9, 1, 'u', 0, 1,  0, 0, 0}),
       "carries file descriptors"},
      // Serial 0.
      {bytes({'l', 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}), "serial 0"},
      // Unknown type, then unknown byte order, then protocol version 2.
      {bytes({'l', 9, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0}), "unknown type 9"},
      {bytes({'x', 2, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0}), "unknown byte order"},
      {bytes({'l', 2, 0, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0}), "protocol version 2"},
      // A body far larger than berth accepts.
      {bytes({'l', 2, 0, 1, 0, 0, 0, 0x7f, 1, 0, 0, 0, 0, 0, 0, 0}), "larger than"},
  };
  for (const auto &c : cases) {
    auto parsed = dbus::parse_message(c.bytes);
    cr_assert(!parsed.has_value(), "accepted a message that should fail with `%s`", c.error);
    std::string message = parsed.error().message();
    cr_assert(message.find(c.error) != std::string::npos, "`%s` not in `%s`", c.error,
              message.c_str());
  }
}

Test(dbus_wire, reader_bounds) {
  // An array whose length runs past the data, and nesting past the limit.
  auto data = bytes({100, 0, 0, 0, 1, 0, 0, 0});
  dbus::Reader reader(data, false);
  auto skipped = reader.skip("au");
  cr_assert(!skipped.has_value());
  cr_assert(skipped.error().message().find("array runs past") != std::string::npos);
  std::string deep(70, 'a');
  deep += 'y';
  dbus::Reader deep_reader(data, false);
  cr_assert(!deep_reader.skip(deep).has_value());
  cr_assert(!dbus::single_type_length("(").has_value());
  cr_assert(!dbus::single_type_length("a{vs}").has_value()); // a dict key must be basic
  cr_assert_eq(dbus::single_type_length("a(sv)s").value_or(0), 5u);
  cr_assert_eq(dbus::single_type_length("a{sv}").value_or(0), 5u);
}

Test(dbus_wire, bus_addresses) {
  BERTH_ASSERT_STR_EQ(dbus::unix_socket_path("unix:path=/run/dbus/system_bus_socket").value(),
                      "/run/dbus/system_bus_socket");
  BERTH_ASSERT_STR_EQ(dbus::unix_socket_path("unix:path=/a%2cb,guid=00").value(), "/a,b");
  BERTH_ASSERT_STR_EQ(dbus::unix_socket_path("tcp:host=x,port=1;unix:abstract=bus").value(),
                      std::string(1, '\0') + "bus");
  cr_assert(!dbus::unix_socket_path("tcp:host=x,port=1").has_value());
  cr_assert(!dbus::unix_socket_path("unix:path=/a%2").has_value());
}
