// Validation of linux.resources (config-linux.md, "Control groups"), also the
// whole document of update --resources.
#include "spec/sections.hpp"

namespace berth::spec::detail {
namespace {

Result<void> validate_device_rules(const std::vector<DeviceCgroupRule> &rules,
                                   std::string_view pointer) {
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const DeviceCgroupRule &rule = rules[i];
    std::string entry = at(pointer, i);
    if (rule.type && *rule.type != "a" && *rule.type != "c" && *rule.type != "b")
      return fail_at(at(entry, "type"),
                     "unknown device type " + quote(*rule.type) + " (expected a, c or b)");
    if (rule.access && !only_chars(*rule.access, "rwm"))
      return fail_at(at(entry, "access"), "expected some of \"rwm\", got " + quote(*rule.access));
  }
  return {};
}

// The range of blkio.weight (v1) and, after conversion, io.weight (v2).
Result<void> check_weight(const std::optional<std::uint16_t> &weight, std::string_view pointer) {
  if (weight && (*weight < 10 || *weight > 1000))
    return fail_at(pointer, "expected an integer from 10 to 1000");
  return {};
}

Result<void> validate_block_io(const BlockIoResources &io, std::string_view pointer) {
  BERTH_TRY(check_weight(io.weight, at(pointer, "weight")));
  BERTH_TRY(check_weight(io.leaf_weight, at(pointer, "leafWeight")));
  for (std::size_t i = 0; i < io.weight_device.size(); ++i) {
    const WeightDevice &device = io.weight_device[i];
    std::string entry = at(at(pointer, "weightDevice"), i);
    if (!device.weight && !device.leaf_weight)
      return fail_at(entry, "needs weight or leafWeight");
    BERTH_TRY(check_weight(device.weight, at(entry, "weight")));
    BERTH_TRY(check_weight(device.leaf_weight, at(entry, "leafWeight")));
  }
  return {};
}

// "<size><unit-prefix>B" (config-linux.md): it becomes part of a cgroup file
// name, so nothing else may get through.
bool is_page_size(std::string_view size) {
  if (!size.ends_with('B'))
    return false;
  size.remove_suffix(1);
  if (!size.empty() && only_chars(size.substr(size.size() - 1), "KMGTPE"))
    size.remove_suffix(1);
  return !size.empty() && only_chars(size, "0123456789");
}

// A key of `unified` names a file in the container's cgroup directory.
bool is_cgroup_file_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos;
}

} // namespace

Result<void> validate_resources(const Resources &resources, std::string_view pointer) {
  BERTH_TRY(validate_device_rules(resources.devices, at(pointer, "devices")));
  if (resources.block_io)
    BERTH_TRY(validate_block_io(*resources.block_io, at(pointer, "blockIO")));
  for (std::size_t i = 0; i < resources.hugepage_limits.size(); ++i) {
    const std::string &size = resources.hugepage_limits[i].page_size;
    if (!is_page_size(size))
      return fail_at(at(at(at(pointer, "hugepageLimits"), i), "pageSize"),
                     "expected a size such as \"2MB\", got " + quote(size));
  }
  for (const auto &[device, limit] : resources.rdma)
    if (!limit.hca_handles && !limit.hca_objects)
      return fail_at(at(at(pointer, "rdma"), device), "needs hcaHandles or hcaObjects");
  for (const auto &[file, value] : resources.unified)
    if (!is_cgroup_file_name(file))
      return fail_at(at(at(pointer, "unified"), file),
                     "must be a file name in the cgroup directory, got " + quote(file));
  return {};
}

} // namespace berth::spec::detail
