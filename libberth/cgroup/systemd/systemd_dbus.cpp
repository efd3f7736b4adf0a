#include "cgroup/systemd/systemd_dbus.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <array>

#include "cgroup/resources.hpp"
#include "cgroup/systemd/dbus_wire.hpp"

namespace berth::cgroup::systemd {
namespace {

constexpr std::string_view kPointer = "/linux/cgroupsPath";
constexpr std::string_view kDefaultSlice = "system.slice";
constexpr std::string_view kDefaultPrefix = "berth";
// systemd's UNIT_NAME_MAX, the terminating NUL included.
constexpr std::size_t kUnitNameMax = 256;

std::unexpected<Error> path_error(std::string_view what) {
  return fail("config.json: " + std::string(kPointer) + ": " + std::string(what));
}

// The characters systemd allows in a unit name ([a-zA-Z0-9:_.\-] plus '\\' for
// its escapes and '@' for templates); ':' cannot occur here (it separates the
// parts), and a container is no template instance, so neither is allowed.
bool unit_name_chars(std::string_view s) {
  return std::ranges::all_of(s, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-' || c == '\\';
  });
}

// "system.slice", "a-b.slice", "-.slice"; not "a--b.slice", "-a.slice", "a-.slice".
bool valid_slice(std::string_view slice) {
  if (slice == "-.slice")
    return true;
  if (!slice.ends_with(".slice") || !unit_name_chars(slice) || slice.size() >= kUnitNameMax)
    return false;
  std::string_view stem = slice.substr(0, slice.size() - 6);
  return !stem.empty() && stem.front() != '-' && stem.back() != '-' &&
         stem.find("--") == std::string_view::npos;
}

std::string quoted(std::string_view s) {
  std::string out(1, '"');
  out += s;
  out += '"';
  return out;
}

using dbus::Marshaller;

// One element of an a(sv): STRUCT of the name and a VARIANT.
template <class Write>
void property(Marshaller &m, std::string_view name, std::string_view type, Write write_value) {
  m.open_struct();
  m.string(name);
  m.signature(type);
  write_value();
}

void string_property(Marshaller &m, std::string_view name, std::string_view value) {
  property(m, name, "s", [&] { m.string(value); });
}
void bool_property(Marshaller &m, std::string_view name, bool value) {
  property(m, name, "b", [&] { m.boolean(value); });
}
void uint64_property(Marshaller &m, std::string_view name, const std::optional<std::uint64_t> &v) {
  if (v)
    property(m, name, "t", [&] { m.uint64(*v); });
}

// spec int64 limits where -1 means none: systemd's infinity.
std::optional<std::uint64_t> limit(const std::optional<std::int64_t> &value) {
  if (!value || *value == 0 || *value < -1)
    return std::nullopt;
  return *value == -1 ? kInfinity : static_cast<std::uint64_t>(*value);
}

} // namespace

bool systemd_available() {
  struct stat st {};
  return ::lstat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
}

Result<void> require_systemd() {
  if (!systemd_available())
    return fail("--systemd-cgroup: systemd is not running on this host (no /run/systemd/system)");
  return {};
}

std::string SystemdCgroupsPath::unit() const {
  return (prefix.empty() ? name : prefix + "-" + name) + ".scope";
}

std::string SystemdCgroupsPath::cgroup_path() const {
  std::string parent = expand_slice(slice);
  return (parent == "/" ? "" : parent) + "/" + unit();
}

std::string expand_slice(std::string_view slice) {
  if (slice == "-.slice")
    return "/";
  std::string_view stem = slice.substr(0, slice.size() - std::string_view(".slice").size());
  std::string path;
  // "a-b-c" nests as /a.slice/a-b.slice/a-b-c.slice: one level per dash.
  for (std::size_t dash = stem.find('-'); dash != std::string_view::npos;
       dash = stem.find('-', dash + 1)) {
    path += '/';
    path += stem.substr(0, dash);
    path += ".slice";
  }
  path += '/';
  path += slice;
  return path;
}

Result<SystemdCgroupsPath> parse_systemd_cgroups_path(const std::optional<std::string> &path,
                                                      std::string_view id) {
  SystemdCgroupsPath parsed;
  if (!path) {
    parsed = {std::string(kDefaultSlice), std::string(kDefaultPrefix), std::string(id)};
  } else {
    std::string_view text = *path;
    auto first = text.find(':');
    auto second = first == std::string_view::npos ? first : text.find(':', first + 1);
    if (second == std::string_view::npos || text.find(':', second + 1) != std::string_view::npos)
      return path_error("with --systemd-cgroup, expected \"slice:prefix:name\", got " +
                        quoted(text));
    parsed.slice = text.substr(0, first);
    parsed.prefix = text.substr(first + 1, second - first - 1);
    parsed.name = text.substr(second + 1);
    if (parsed.slice.empty())
      parsed.slice = kDefaultSlice;
    else if (parsed.slice == "-")
      parsed.slice = "-.slice"; // the root slice, as runc and crun read "-"
  }
  if (!valid_slice(parsed.slice))
    return path_error("invalid slice " + quoted(parsed.slice) +
                      ": expected a name such as \"system.slice\" or \"machine-app.slice\"");
  if (parsed.name.empty())
    return path_error("the name (after the second ':') must not be empty");
  if (parsed.name.ends_with(".slice"))
    return path_error("a slice as the container's unit (" + quoted(parsed.name) +
                      ") is not supported yet");
  if (!unit_name_chars(parsed.prefix) || !unit_name_chars(parsed.name))
    return path_error("invalid unit name " + quoted(parsed.unit()) +
                      ": systemd allows letters, digits and \":_.-\\\" only");
  if (parsed.unit().size() >= kUnitNameMax)
    return path_error("unit name " + quoted(parsed.unit()) + " is longer than systemd allows (" +
                      std::to_string(kUnitNameMax - 1) + " characters)");
  return parsed;
}

TransientScope transient_scope(const SystemdCgroupsPath &path, std::string_view id, pid_t pid,
                               const spec::Resources *resources) {
  TransientScope scope{.unit = path.unit(),
                       .slice = path.slice,
                       .description = "berth container " + std::string(id),
                       .pid = pid};
  if (!resources)
    return scope;
  if (resources->memory)
    scope.memory_max = limit(resources->memory->limit);
  if (const auto &cpu = resources->cpu) {
    if (cpu->shares && *cpu->shares != 0)
      scope.cpu_weight = cpu_shares_to_weight(*cpu->shares);
    // systemd takes the quota as CPU time per second of wall time, and
    // derives cpu.max's quota from it and the period.
    std::uint64_t period = cpu->period.value_or(100000);
    if (cpu->period && *cpu->period != 0)
      scope.cpu_quota_period_usec = *cpu->period;
    if (cpu->quota && *cpu->quota == -1)
      scope.cpu_quota_per_sec_usec = kInfinity;
    else if (cpu->quota && *cpu->quota > 0 && period != 0)
      scope.cpu_quota_per_sec_usec = static_cast<std::uint64_t>(*cpu->quota) * 1000000 / period;
  }
  scope.tasks_max = limit(resources->pids_limit);
  return scope;
}

std::vector<std::uint8_t> start_transient_unit_message(const TransientScope &scope,
                                                       std::uint32_t serial) {
  Marshaller body;
  body.string(scope.unit);
  // "replace": a stale job for a unit of that name gives way to this one.
  body.string("replace");
  std::size_t properties = body.open_array(8);
  string_property(body, "Description", scope.description);
  string_property(body, "Slice", scope.slice);
  // The container's cgroup is berth's to manage below the scope (controllers,
  // the files of the limits systemd has no property for).
  bool_property(body, "Delegate", true);
  // No ordering against shutdown.target or the like: the engine stops
  // containers, and a scope has nothing to start.
  bool_property(body, "DefaultDependencies", false);
  property(body, "PIDs", "au", [&] {
    std::size_t pids = body.open_array(4);
    body.uint32(static_cast<std::uint32_t>(scope.pid));
    body.close_array(pids);
  });
  // The controllers berth reads statistics from, enabled whatever the limits.
  for (std::string_view accounting :
       {"MemoryAccounting", "CPUAccounting", "TasksAccounting", "IOAccounting"})
    bool_property(body, accounting, true);
  uint64_property(body, "MemoryMax", scope.memory_max);
  uint64_property(body, "CPUWeight", scope.cpu_weight);
  uint64_property(body, "CPUQuotaPerSecUSec", scope.cpu_quota_per_sec_usec);
  uint64_property(body, "CPUQuotaPeriodUSec", scope.cpu_quota_period_usec);
  uint64_property(body, "TasksMax", scope.tasks_max);
  body.close_array(properties);
  // No auxiliary units: an empty a(sa(sv)).
  body.close_array(body.open_array(8));
  return dbus::method_call({.destination = "org.freedesktop.systemd1",
                            .path = "/org/freedesktop/systemd1",
                            .interface = "org.freedesktop.systemd1.Manager",
                            .member = "StartTransientUnit",
                            .signature = "ssa(sv)a(sa(sv))"},
                           serial, body.take());
}

std::vector<std::uint8_t> stop_unit_message(std::string_view unit, std::uint32_t serial) {
  Marshaller body;
  body.string(unit);
  // "replace": a start job still queued for the unit gives way to the stop.
  body.string("replace");
  return dbus::method_call({.destination = "org.freedesktop.systemd1",
                            .path = "/org/freedesktop/systemd1",
                            .interface = "org.freedesktop.systemd1.Manager",
                            .member = "StopUnit",
                            .signature = "ss"},
                           serial, body.take());
}

} // namespace berth::cgroup::systemd
