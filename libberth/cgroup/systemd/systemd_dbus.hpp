// systemd cgroups (`--systemd-cgroup`), the part that needs no running
// systemd: parsing linux.cgroupsPath as "slice:prefix:name", the unit and
// cgroup that name stands for, and the D-Bus message that asks systemd's
// manager to create the container's scope (org.freedesktop.systemd1.Manager
// .StartTransientUnit), marshalled as the D-Bus specification's wire format
// lays it out (cgroup/systemd/dbus_wire.hpp). Sending it is systemd_scope.hpp's.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spec/config.hpp"
#include "sys/error.hpp"

namespace berth::cgroup::systemd {

// Whether systemd runs this host (it creates /run/systemd/system at boot, and
// sd_booted(3) asks the same).
bool systemd_available();
// Fails with the error `--systemd-cgroup` gives where it is not.
Result<void> require_systemd();

// linux.cgroupsPath under --systemd-cgroup: "slice:prefix:name".
struct SystemdCgroupsPath {
  std::string slice;  // "system.slice" (the default when empty in the config)
  std::string prefix; // "berth"; may be empty
  std::string name;   // "c1"

  // The scope systemd creates: "prefix-name.scope", or "name.scope" without a
  // prefix.
  std::string unit() const;
  // Where that scope's cgroup is, from the hierarchy's root:
  // "/system.slice/berth-c1.scope"; "/a.slice/a-b.slice/berth-c1.scope" for
  // slice "a-b.slice".
  std::string cgroup_path() const;
};

// Parses `path` (absent: "system.slice:berth:<id>"; an empty slice is
// "system.slice", "-" the root slice "-.slice"). Errors name the JSON path:
// `config.json: /linux/cgroupsPath: ...`.
Result<SystemdCgroupsPath> parse_systemd_cgroups_path(const std::optional<std::string> &path,
                                                      std::string_view id);

// The cgroup path of a slice, from the hierarchy's root: each dash in the name
// nests a level ("a-b.slice" is "/a.slice/a-b.slice"); "-.slice" is the root.
std::string expand_slice(std::string_view slice);

// systemd's "infinity" for its uint64 limits.
inline constexpr std::uint64_t kInfinity = UINT64_MAX;

// What StartTransientUnit is asked for.
struct TransientScope {
  std::string unit;        // "berth-c1.scope"
  std::string slice;       // "system.slice"
  std::string description; // "berth container c1"
  pid_t pid = 0;           // the container's init, moved into the scope
  // The limits systemd applies itself (it would otherwise reset what berth
  // wrote to the cgroup's files when it reloads); absent ones are not sent.
  std::optional<std::uint64_t> memory_max;             // MemoryMax, bytes
  std::optional<std::uint64_t> cpu_weight;             // CPUWeight, 1..10000
  std::optional<std::uint64_t> cpu_quota_per_sec_usec; // CPUQuotaPerSecUSec
  std::optional<std::uint64_t> cpu_quota_period_usec;  // CPUQuotaPeriodUSec
  std::optional<std::uint64_t> tasks_max;              // TasksMax
};

// The scope for a container: unit and slice from `path`, the limits from
// `resources` (memory.limit, cpu.shares/quota/period, pids.limit; -1 is
// infinity). The other resources are the caller's to write to the cgroup's
// files, which Delegate=yes lets it do.
TransientScope transient_scope(const SystemdCgroupsPath &path, std::string_view id, pid_t pid,
                               const spec::Resources *resources);

// The method call StartTransientUnit(name, "replace", properties, []) with
// signature "ssa(sv)a(sa(sv))", to org.freedesktop.systemd1 at
// /org/freedesktop/systemd1. Properties: Description, Slice, Delegate=true,
// DefaultDependencies=false, PIDs=[pid], MemoryAccounting, CPUAccounting,
// TasksAccounting and IOAccounting = true, then the limits that are set.
// `serial` must be non-zero and unique on the connection.
std::vector<std::uint8_t> start_transient_unit_message(const TransientScope &scope,
                                                       std::uint32_t serial);

// StopUnit(name, "replace"), signature "ss": what `delete` asks for.
std::vector<std::uint8_t> stop_unit_message(std::string_view unit, std::uint32_t serial);

} // namespace berth::cgroup::systemd
