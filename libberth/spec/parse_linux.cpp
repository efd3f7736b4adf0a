// config-linux.md: the linux object, apart from resources and seccomp.
#include "spec/sections.hpp"
#include "tables/namespaces.hpp"

namespace berth::spec::detail {
namespace {

Result<Namespace> parse_namespace(const Node &node) {
  BERTH_TRY(expect_object(node));
  std::string type;
  BERTH_TRY(read_required(node, "type", type));
  const auto *info = tables::find_namespace(type);
  if (!info)
    return fail_at(node.pointer_to("type"), "unknown namespace type " + quote(type));
  Namespace ns{info->type, std::nullopt};
  BERTH_TRY(read_optional(node, "path", ns.path));
  drop_empty(ns.path); // "" is no path: create a new namespace
  return ns;
}

Result<TimeOffset> parse_time_offset(const Node &node) {
  BERTH_TRY(expect_object(node));
  TimeOffset offset;
  BERTH_TRY(read_or_default(node, "secs", offset.secs));
  BERTH_TRY(read_or_default(node, "nanosecs", offset.nanosecs));
  return offset;
}

Result<Device> parse_device(const Node &node) {
  BERTH_TRY(expect_object(node));
  Device device;
  BERTH_TRY(read_required(node, "type", device.type));
  if (device.type != "c" && device.type != "b" && device.type != "u" && device.type != "p")
    return fail_at(node.pointer_to("type"),
                   "unknown device type " + quote(device.type) + " (expected c, b, u or p)");
  BERTH_TRY(read_required(node, "path", device.path));
  // A fifo has no device number; every other type needs both.
  if (device.type == "p") {
    BERTH_TRY(read_or_default(node, "major", device.major));
    BERTH_TRY(read_or_default(node, "minor", device.minor));
  } else {
    BERTH_TRY(read_required(node, "major", device.major));
    BERTH_TRY(read_required(node, "minor", device.minor));
  }
  BERTH_TRY(read_optional(node, "fileMode", device.file_mode));
  BERTH_TRY(read_optional(node, "uid", device.uid));
  BERTH_TRY(read_optional(node, "gid", device.gid));
  return device;
}

Result<NetDevice> parse_net_device(const Node &node) {
  BERTH_TRY(expect_object(node));
  NetDevice device;
  BERTH_TRY(read_optional(node, "name", device.name));
  return device;
}

Result<IntelRdt> parse_intel_rdt(const Node &node) {
  BERTH_TRY(expect_object(node));
  IntelRdt rdt;
  BERTH_TRY(read_optional(node, "closID", rdt.clos_id));
  BERTH_TRY(read_optional(node, "l3CacheSchema", rdt.l3_cache_schema));
  BERTH_TRY(read_optional(node, "memBwSchema", rdt.mem_bw_schema));
  BERTH_TRY(read_or_default(node, "schemata", rdt.schemata));
  BERTH_TRY(read_optional(node, "enableMonitoring", rdt.enable_monitoring));
  return rdt;
}

Result<Personality> parse_personality(const Node &node) {
  BERTH_TRY(expect_object(node));
  Personality personality;
  BERTH_TRY(read_required(node, "domain", personality.domain));
  BERTH_TRY(read_or_default(node, "flags", personality.flags));
  return personality;
}

Result<MemoryPolicy> parse_memory_policy(const Node &node) {
  BERTH_TRY(expect_object(node));
  MemoryPolicy policy;
  BERTH_TRY(read_required(node, "mode", policy.mode));
  BERTH_TRY(read_optional(node, "nodes", policy.nodes));
  BERTH_TRY(read_or_default(node, "flags", policy.flags));
  return policy;
}

} // namespace

Result<Linux> parse_linux(const Node &node) {
  BERTH_TRY(expect_object(node));
  Linux linux_;
  BERTH_TRY(read_array(node, "namespaces", linux_.namespaces, parse_namespace));
  BERTH_TRY(read_array(node, "uidMappings", linux_.uid_mappings, parse_id_mapping));
  BERTH_TRY(read_array(node, "gidMappings", linux_.gid_mappings, parse_id_mapping));
  BERTH_TRY(read_map(node, "timeOffsets", linux_.time_offsets, parse_time_offset));
  BERTH_TRY(read_array(node, "devices", linux_.devices, parse_device));
  BERTH_TRY(read_map(node, "netDevices", linux_.net_devices, parse_net_device));
  BERTH_TRY(read_optional(node, "cgroupsPath", linux_.cgroups_path));
  drop_empty(linux_.cgroups_path);
  BERTH_TRY(read_object(node, "resources", linux_.resources, parse_resources_object));
  BERTH_TRY(read_object(node, "intelRdt", linux_.intel_rdt, parse_intel_rdt));
  BERTH_TRY(read_or_default(node, "sysctl", linux_.sysctl));
  BERTH_TRY(read_object(node, "seccomp", linux_.seccomp, parse_seccomp));
  BERTH_TRY(read_optional(node, "rootfsPropagation", linux_.rootfs_propagation));
  drop_empty(linux_.rootfs_propagation);
  BERTH_TRY(read_or_default(node, "maskedPaths", linux_.masked_paths));
  BERTH_TRY(read_or_default(node, "readonlyPaths", linux_.readonly_paths));
  BERTH_TRY(read_optional(node, "mountLabel", linux_.mount_label));
  drop_empty(linux_.mount_label);
  BERTH_TRY(read_object(node, "personality", linux_.personality, parse_personality));
  BERTH_TRY(read_object(node, "memoryPolicy", linux_.memory_policy, parse_memory_policy));
  return linux_;
}

} // namespace berth::spec::detail
