// linux.memoryPolicy, through set_mempolicy(2) (raw: no libnuma).
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <vector>

#include "linux/process_attributes.hpp"
#include "sys/id_list.hpp"
#include "tables/process_scheduling.hpp"

namespace berth::linux {

Result<void> apply_memory_policy(const spec::MemoryPolicy &policy) {
  const auto *mode = tables::find_named(tables::kMemoryPolicyModes, policy.mode);
  if (!mode) // validation refuses this first
    return fail("linux.memoryPolicy.mode: unknown mode " + policy.mode);
  unsigned long mode_and_flags = mode->value;
  for (const auto &name : policy.flags) {
    const auto *flag = tables::find_named(tables::kMemoryPolicyFlags, name);
    if (!flag)
      return fail("linux.memoryPolicy.flags: unknown flag " + name);
    mode_and_flags |= flag->value;
  }
  // No nodes (MPOL_DEFAULT, MPOL_LOCAL, or MPOL_PREFERRED meaning "local"): a
  // null mask. Otherwise a bit mask of as many longs as the highest node needs.
  std::vector<unsigned long> mask;
  unsigned long max_node = 0;
  if (policy.nodes && !policy.nodes->empty()) {
    auto nodes = sys::parse_id_list(*policy.nodes);
    if (!nodes) // validation refuses this first
      return fail("linux.memoryPolicy.nodes: not a node list: " + *policy.nodes);
    constexpr unsigned kBits = sizeof(unsigned long) * CHAR_BIT;
    mask.assign(nodes->back() / kBits + 1, 0);
    for (unsigned node : *nodes)
      mask[node / kBits] |= 1UL << (node % kBits);
    // The kernel reads maxnode - 1 bits (set_mempolicy(2), BUGS).
    max_node = mask.size() * kBits + 1;
  }
  if (::syscall(SYS_set_mempolicy, mode_and_flags, mask.empty() ? nullptr : mask.data(), max_node) <
      0)
    return fail_errno("linux.memoryPolicy: set_mempolicy " + policy.mode +
                      (policy.nodes ? " nodes \"" + *policy.nodes + "\"" : std::string()));
  return {};
}

} // namespace berth::linux
