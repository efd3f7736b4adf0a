#include "cgroup/systemd/systemd_scope.hpp"

#include <optional>
#include <string>

#include "cgroup/systemd/dbus_connection.hpp"

namespace berth::cgroup::systemd {
namespace {

constexpr std::string_view kManagerPath = "/org/freedesktop/systemd1";
constexpr std::string_view kManagerInterface = "org.freedesktop.systemd1.Manager";

struct JobRemoved {
  std::string job;
  std::string unit;
  std::string result;
};

// The JobRemoved(u id, o job, s unit, s result) that `signal` is, if it is one.
Result<std::optional<JobRemoved>> job_removed(const dbus::Message &signal) {
  if (signal.path != kManagerPath || signal.interface != kManagerInterface ||
      signal.member != "JobRemoved")
    return std::optional<JobRemoved>();
  if (signal.signature != "uoss")
    return fail("systemd sent JobRemoved with signature \"" + signal.signature +
                "\", expected \"uoss\"");
  dbus::Reader reader(signal);
  JobRemoved removed;
  BERTH_TRY_CTX(reader.uint32(), "JobRemoved");
  BERTH_TRY_ASSIGN(removed.job, with_context(reader.string(), "JobRemoved"));
  BERTH_TRY_ASSIGN(removed.unit, with_context(reader.string(), "JobRemoved"));
  BERTH_TRY_ASSIGN(removed.result, with_context(reader.string(), "JobRemoved"));
  return std::optional(std::move(removed));
}

dbus::Deadline deadline_after(std::chrono::milliseconds timeout) {
  return std::chrono::steady_clock::now() + timeout;
}

// The connection, with JobRemoved routed to it before any job exists, so that
// the signal for berth's job cannot come before the match.
Result<dbus::Connection> open_for_jobs(std::chrono::milliseconds timeout) {
  BERTH_TRY_ASSIGN(auto connection,
                   dbus::Connection::open(dbus::system_bus_address(), deadline_after(timeout)));
  std::uint32_t serial = connection.next_serial();
  BERTH_TRY(connection.call(dbus::add_match_message(kJobRemovedMatch, serial), serial,
                            "org.freedesktop.DBus.AddMatch"));
  return connection;
}

// The job path of a StartTransientUnit or StopUnit reply.
Result<std::string> job_path(const dbus::Message &reply, std::string_view what) {
  if (reply.signature != "o")
    return fail(std::string(what) + ": systemd replied with signature \"" + reply.signature +
                "\", expected \"o\"");
  return with_context(dbus::Reader(reply).string(), what);
}

// Waits for the JobRemoved of `job`, sent by `sender` (the unique name that
// replied with the job: any other peer's signal is not systemd's), and returns
// its result. Signals read during the call come first.
Result<std::string> wait_for_job(dbus::Connection &connection, const std::string &job,
                                 const std::string &sender, std::string_view what) {
  auto check = [&](const dbus::Message &signal) -> Result<std::optional<std::string>> {
    if (signal.sender != sender)
      return std::optional<std::string>();
    BERTH_TRY_ASSIGN(auto removed, with_context(job_removed(signal), what));
    if (!removed || removed->job != job)
      return std::optional<std::string>();
    return std::optional(removed->result);
  };
  for (const auto &signal : connection.take_signals()) {
    BERTH_TRY_ASSIGN(auto result, check(signal));
    if (result)
      return *result;
  }
  for (;;) {
    BERTH_TRY_ASSIGN(auto message, with_context(connection.receive(),
                                                std::string(what) + ": waiting for " + job));
    if (message.type != dbus::MessageType::Signal)
      continue;
    BERTH_TRY_ASSIGN(auto result, check(message));
    if (result)
      return *result;
  }
}

std::string quoted(std::string_view s) {
  std::string out(1, '"');
  out += s;
  out += '"';
  return out;
}

// The job a StartTransientUnit or StopUnit reply names, waited for: it must
// end with result "done".
Result<void> wait_for_job_done(dbus::Connection &connection, const dbus::Message &reply,
                               const std::string &what) {
  BERTH_TRY_ASSIGN(std::string job, job_path(reply, what));
  BERTH_TRY_ASSIGN(std::string result, wait_for_job(connection, job, reply.sender, what));
  if (result != "done")
    return fail(what + ": systemd's job " + job + " ended with result " + quoted(result) +
                ", expected \"done\"");
  return {};
}

} // namespace

Result<void> start_scope(const TransientScope &scope, std::chrono::milliseconds timeout) {
  std::string what = "--systemd-cgroup: start " + scope.unit;
  BERTH_TRY_ASSIGN(auto connection, with_context(open_for_jobs(timeout), what));
  std::uint32_t serial = connection.next_serial();
  BERTH_TRY_ASSIGN(auto reply, connection.call(start_transient_unit_message(scope, serial), serial,
                                               what + ": StartTransientUnit"));
  return wait_for_job_done(connection, reply, what);
}

Result<void> stop_unit(std::string_view unit, std::chrono::milliseconds timeout) {
  std::string what = "--systemd-cgroup: stop " + std::string(unit);
  BERTH_TRY_ASSIGN(auto connection, with_context(open_for_jobs(timeout), what));
  std::uint32_t serial = connection.next_serial();
  std::string call = what + ": StopUnit";
  BERTH_TRY_ASSIGN(auto reply, connection.request(stop_unit_message(unit, serial), serial, call));
  if (reply.type == dbus::MessageType::Error) {
    if (reply.error_name == "org.freedesktop.systemd1.NoSuchUnit")
      return {};
    return fail(dbus::error_reply(reply, call));
  }
  return wait_for_job_done(connection, reply, what);
}

} // namespace berth::cgroup::systemd
