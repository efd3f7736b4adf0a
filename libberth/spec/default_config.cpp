#include "spec/default_config.hpp"

#include <array>
#include <initializer_list>
#include <string>
#include <string_view>

#include "berth_config.h"

namespace berth::spec {
namespace {

using json::Value;

Value text(std::string_view s) {
  return Value::string(std::string(s));
}

Value strings(std::initializer_list<std::string_view> items) {
  Value array = Value::array();
  for (std::string_view item : items)
    array.push_back(text(item));
  return array;
}

Value object(std::initializer_list<std::pair<std::string_view, Value>> members) {
  Value o = Value::object();
  for (const auto &[key, value] : members)
    o.set(std::string(key), value);
  return o;
}

// Enough to bind to low ports, signal, and write audit records (login
// programs do); everything else a process must be given on purpose. No
// inheritable set (an inheritable capability survives into programs that were
// not meant to get it), and so no ambient set either: the kernel raises an
// ambient capability only when it is also inheritable, and berth warns about
// each one it has to skip.
Value default_capabilities() {
  auto caps = [] { return strings({"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"}); };
  return object({{"bounding", caps()}, {"effective", caps()}, {"permitted", caps()}});
}

Value process() {
  Value rlimit = object({{"type", text("RLIMIT_NOFILE")},
                         {"hard", Value::number(std::uint64_t{1024})},
                         {"soft", Value::number(std::uint64_t{1024})}});
  Value rlimits = Value::array();
  rlimits.push_back(std::move(rlimit));
  return object({
      {"terminal", Value::boolean(true)},
      {"user", object({{"uid", Value::number(std::uint64_t{0})},
                       {"gid", Value::number(std::uint64_t{0})}})},
      {"args", strings({"sh"})},
      {"env", strings({"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                       "TERM=xterm"})},
      {"cwd", text("/")},
      {"capabilities", default_capabilities()},
      {"rlimits", std::move(rlimits)},
      {"noNewPrivileges", Value::boolean(true)},
  });
}

Value mount(std::string_view destination, std::string_view type, std::string_view source,
            std::initializer_list<std::string_view> options) {
  Value m =
      object({{"destination", text(destination)}, {"type", text(type)}, {"source", text(source)}});
  if (options.size() != 0)
    m.set("options", strings(options));
  return m;
}

// Drops the uid=/gid= options: in a rootless container only the caller's own
// id is mapped, and devpts's gid=5 (tty) would not be.
Value without_id_options(const Value &options) {
  Value kept = Value::array();
  for (const auto &option : options.items())
    if (!option.text().starts_with("uid=") && !option.text().starts_with("gid="))
      kept.push_back(option);
  return kept;
}

Value mounts(const DefaultConfigOptions &options) {
  Value list = Value::array();
  list.push_back(mount("/proc", "proc", "proc", {}));
  list.push_back(
      mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
  list.push_back(mount("/dev/pts", "devpts", "devpts",
                       {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}));
  list.push_back(
      mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}));
  list.push_back(mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
  if (options.rootless)
    list.push_back(mount("/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"}));
  else
    list.push_back(mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}));
  list.push_back(
      mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}));
  if (options.rootless)
    for (auto &m : list.items())
      if (const Value *opts = m.find("options"))
        m.set("options", without_id_options(*opts));
  return list;
}

Value namespaces(const DefaultConfigOptions &options) {
  Value list = Value::array();
  auto add = [&](std::string_view type) { list.push_back(object({{"type", text(type)}})); };
  add("pid");
  if (!options.rootless)
    add("network");
  add("ipc");
  add("uts");
  add("mount");
  if (options.cgroup_namespace)
    add("cgroup");
  if (options.rootless)
    add("user");
  return list;
}

Value id_mapping(std::uint64_t host_id) {
  Value mappings = Value::array();
  mappings.push_back(object({{"containerID", Value::number(std::uint64_t{0})},
                             {"hostID", Value::number(host_id)},
                             {"size", Value::number(std::uint64_t{1})}}));
  return mappings;
}

Value linux_section(const DefaultConfigOptions &options) {
  Value linux = Value::object();
  if (options.rootless) {
    linux.set("uidMappings", id_mapping(options.host_uid));
    linux.set("gidMappings", id_mapping(options.host_gid));
  } else {
    // Deny every device; the spec's default devices are allowed on top of it.
    Value deny_all = object({{"allow", Value::boolean(false)}, {"access", text("rwm")}});
    Value devices = Value::array();
    devices.push_back(std::move(deny_all));
    linux.set("resources", object({{"devices", std::move(devices)}}));
  }
  linux.set("namespaces", namespaces(options));
  // Kernel interfaces that leak host information or let a process poke at
  // hardware and the kernel: hidden, or read-only.
  linux.set("maskedPaths", strings({"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                                    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                                    "/proc/sched_debug", "/sys/firmware",
                                    "/sys/devices/virtual/powercap", "/proc/scsi"}));
  linux.set("readonlyPaths",
            strings({"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}));
  return linux;
}

} // namespace

json::Value default_config(const DefaultConfigOptions &options) {
  Value config = Value::object();
  config.set("ociVersion", text(BERTH_OCI_SPEC_VERSION));
  config.set("process", process());
  config.set("root", object({{"path", text("rootfs")}, {"readonly", Value::boolean(true)}}));
  config.set("hostname", text("berth"));
  config.set("mounts", mounts(options));
  config.set("linux", linux_section(options));
  return config;
}

} // namespace berth::spec
