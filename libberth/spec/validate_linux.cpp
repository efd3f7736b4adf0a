// Validation of the linux object (config-linux.md), apart from resources and
// seccomp, which have their own files.
#include <array>
#include <cstdio>

#include "spec/sections.hpp"
#include "sys/id_list.hpp"
#include "tables/mount_options.hpp"
#include "tables/namespaces.hpp"
#include "tables/process_scheduling.hpp"

namespace berth::spec::detail {
namespace {

Result<void> validate_namespaces(const Linux &linux_, std::string_view pointer) {
  for (std::size_t i = 0; i < linux_.namespaces.size(); ++i) {
    const Namespace &ns = linux_.namespaces[i];
    std::string entry = at(at(pointer, "namespaces"), i);
    for (std::size_t j = 0; j < i; ++j)
      if (linux_.namespaces[j].type == ns.type)
        return fail_at(at(entry, "type"),
                       "duplicate namespace type " + quote(tables::namespace_info(ns.type).name));
    if (ns.path)
      BERTH_TRY(expect_absolute(at(entry, "path"), *ns.path));
  }
  return {};
}

Result<void> validate_id_mappings(const Linux &linux_, std::string_view pointer) {
  const Namespace *user = linux_.find_namespace(NamespaceType::User);
  bool has_mappings = !linux_.uid_mappings.empty() || !linux_.gid_mappings.empty();
  if (!user && has_mappings) {
    std::string_view key = linux_.uid_mappings.empty() ? "gidMappings" : "uidMappings";
    return fail_at(at(pointer, key),
                   "set without a user namespace in " + at(pointer, "namespaces"));
  }
  // A new user namespace is useless (and unmappable later) without both maps;
  // a joined one already has its own.
  if (user && !user->path) {
    if (linux_.uid_mappings.empty())
      return fail_at(at(pointer, "uidMappings"), "required with a new user namespace");
    if (linux_.gid_mappings.empty())
      return fail_at(at(pointer, "gidMappings"), "required with a new user namespace");
  }
  return {};
}

Result<void> validate_time_offsets(const Linux &linux_, std::string_view pointer) {
  if (linux_.time_offsets.empty())
    return {};
  std::string offsets = at(pointer, "timeOffsets");
  // Offsets can only be written before the first process enters a time
  // namespace, so they need one berth creates.
  const Namespace *time = linux_.find_namespace(NamespaceType::Time);
  if (!time || time->path)
    return fail_at(offsets, "needs a new time namespace in " + at(pointer, "namespaces"));
  for (const auto &[clock, offset] : linux_.time_offsets) {
    if (clock != "monotonic" && clock != "boottime")
      return fail_at(at(offsets, clock),
                     "unknown clock " + quote(clock) + " (expected monotonic or boottime)");
    if (offset.nanosecs > 999'999'999)
      return fail_at(at(at(offsets, clock), "nanosecs"), "expected an integer from 0 to 999999999");
  }
  return {};
}

std::string octal(std::uint32_t mode) {
  char text[16];
  std::snprintf(text, sizeof text, "0%o", mode);
  return text;
}

Result<void> validate_devices(const Linux &linux_, std::string_view pointer) {
  for (std::size_t i = 0; i < linux_.devices.size(); ++i) {
    const Device &device = linux_.devices[i];
    std::string entry = at(at(pointer, "devices"), i);
    BERTH_TRY(expect_absolute(at(entry, "path"), device.path));
    // The kernel's device numbers: a 12-bit major and a 20-bit minor (mknod(2)
    // truncates bigger ones silently, making some other device).
    if (device.type != "p" && (device.major < 0 || device.major > 4095))
      return fail_at(at(entry, "major"),
                     "expected an integer from 0 to 4095, got " + std::to_string(device.major));
    if (device.type != "p" && (device.minor < 0 || device.minor > 1048575))
      return fail_at(at(entry, "minor"),
                     "expected an integer from 0 to 1048575, got " + std::to_string(device.minor));
    // Permission bits, setuid/setgid and sticky only: the file type comes from `type`.
    if (device.file_mode && *device.file_mode > 07777)
      return fail_at(at(entry, "fileMode"),
                     "expected a mode from 0 to 07777, got " + octal(*device.file_mode));
  }
  return {};
}

// The kernel's rule for interface names (dev_valid_name): 1 to 15 bytes, not
// "." or "..", no '/', ':' or whitespace.
bool is_interface_name(std::string_view name) {
  if (name.empty() || name.size() > 15 || name == "." || name == "..")
    return false;
  return name.find_first_of("/: \t\n\v\f\r") == std::string_view::npos;
}

Result<void> validate_net_devices(const Linux &linux_, std::string_view pointer) {
  if (linux_.net_devices.empty())
    return {};
  std::string devices = at(pointer, "netDevices");
  if (!linux_.find_namespace(NamespaceType::Network))
    return fail_at(devices, "set without a network namespace in " + at(pointer, "namespaces"));
  for (const auto &[host_name, device] : linux_.net_devices) {
    if (!is_interface_name(host_name))
      return fail_at(at(devices, host_name), "invalid network interface name " + quote(host_name));
    if (device.name && !is_interface_name(*device.name))
      return fail_at(at(at(devices, host_name), "name"),
                     "invalid network interface name " + quote(*device.name));
  }
  return {};
}

Result<void> validate_path_list(const std::vector<std::string> &paths, std::string_view pointer) {
  for (std::size_t i = 0; i < paths.size(); ++i)
    BERTH_TRY(expect_absolute(at(pointer, i), paths[i]));
  return {};
}

Result<void> validate_intel_rdt(const IntelRdt &rdt, std::string_view pointer) {
  // closID names a directory under the resctrl mount; it must stay inside it.
  if (rdt.clos_id && (rdt.clos_id->empty() || *rdt.clos_id == "." || *rdt.clos_id == ".." ||
                      rdt.clos_id->find('/') != std::string::npos))
    return fail_at(at(pointer, "closID"),
                   "must be a plain directory name, got " + quote(*rdt.clos_id));
  if (rdt.mem_bw_schema && (!rdt.mem_bw_schema->starts_with("MB:") ||
                            rdt.mem_bw_schema->find('\n') != std::string::npos))
    return fail_at(at(pointer, "memBwSchema"),
                   "must be one line starting with \"MB:\", got " + quote(*rdt.mem_bw_schema));
  return {};
}

Result<void> validate_memory_policy(const MemoryPolicy &policy, std::string_view pointer) {
  if (!tables::find_named(tables::kMemoryPolicyModes, policy.mode))
    return fail_at(at(pointer, "mode"), "unknown memory policy mode " + quote(policy.mode));
  if (policy.nodes && !policy.nodes->empty() && !sys::parse_id_list(*policy.nodes))
    return fail_at(at(pointer, "nodes"),
                   "expected a node list such as \"0-1,3\", got " + quote(*policy.nodes));
  for (std::size_t i = 0; i < policy.flags.size(); ++i)
    if (!tables::find_named(tables::kMemoryPolicyFlags, policy.flags[i]))
      return fail_at(at(at(pointer, "flags"), i),
                     "unknown memory policy flag " + quote(policy.flags[i]));
  return {};
}

Result<void> validate_personality(const Personality &personality, std::string_view pointer) {
  if (!tables::find_named(tables::kPersonalityDomains, personality.domain))
    return fail_at(at(pointer, "domain"), "unknown personality domain " +
                                              quote(personality.domain) +
                                              " (expected LINUX or LINUX32)");
  // config-linux.md defines no flag values yet: one that is given cannot be applied.
  if (!personality.flags.empty())
    return fail_at(at(at(pointer, "flags"), 0),
                   "unknown personality flag " + quote(personality.flags[0]));
  return {};
}

} // namespace

Result<void> validate_linux(const Linux &linux_, std::string_view pointer) {
  BERTH_TRY(validate_namespaces(linux_, pointer));
  BERTH_TRY(validate_id_mappings(linux_, pointer));
  BERTH_TRY(validate_time_offsets(linux_, pointer));
  BERTH_TRY(validate_devices(linux_, pointer));
  BERTH_TRY(validate_net_devices(linux_, pointer));
  if (linux_.resources)
    BERTH_TRY(validate_resources(*linux_.resources, at(pointer, "resources")));
  if (linux_.intel_rdt)
    BERTH_TRY(validate_intel_rdt(*linux_.intel_rdt, at(pointer, "intelRdt")));
  if (linux_.seccomp)
    BERTH_TRY(validate_seccomp(*linux_.seccomp, at(pointer, "seccomp")));
  if (linux_.rootfs_propagation && !tables::find_propagation(*linux_.rootfs_propagation))
    return fail_at(at(pointer, "rootfsPropagation"),
                   "unknown propagation " + quote(*linux_.rootfs_propagation));
  BERTH_TRY(validate_path_list(linux_.masked_paths, at(pointer, "maskedPaths")));
  BERTH_TRY(validate_path_list(linux_.readonly_paths, at(pointer, "readonlyPaths")));
  if (linux_.personality)
    BERTH_TRY(validate_personality(*linux_.personality, at(pointer, "personality")));
  if (linux_.memory_policy)
    BERTH_TRY(validate_memory_policy(*linux_.memory_policy, at(pointer, "memoryPolicy")));
  return {};
}

} // namespace berth::spec::detail
