// config.md "Mounts" and the id mappings that mounts and user namespaces share.
#include "spec/sections.hpp"

namespace berth::spec::detail {

Result<IdMapping> parse_id_mapping(const Node &node) {
  BERTH_TRY(expect_object(node));
  IdMapping mapping;
  BERTH_TRY(read_required(node, "containerID", mapping.container_id));
  BERTH_TRY(read_required(node, "hostID", mapping.host_id));
  BERTH_TRY(read_required(node, "size", mapping.size));
  return mapping;
}

Result<Mount> parse_mount(const Node &node) {
  BERTH_TRY(expect_object(node));
  Mount mount;
  BERTH_TRY(read_required(node, "destination", mount.destination));
  if (mount.destination.empty())
    return fail_at(node.pointer_to("destination"), "must not be empty");
  // Spec 1.2: a relative destination is deprecated but valid, and means the
  // same as with a leading "/". Making it absolute here spares every user of
  // the model from handling both forms.
  if (!mount.destination.starts_with('/'))
    mount.destination.insert(0, 1, '/');
  BERTH_TRY(read_optional(node, "type", mount.type));
  BERTH_TRY(read_optional(node, "source", mount.source));
  BERTH_TRY(read_or_default(node, "options", mount.options));
  BERTH_TRY(read_array(node, "uidMappings", mount.uid_mappings, parse_id_mapping));
  BERTH_TRY(read_array(node, "gidMappings", mount.gid_mappings, parse_id_mapping));
  return mount;
}

} // namespace berth::spec::detail
