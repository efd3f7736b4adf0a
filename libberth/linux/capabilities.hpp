// process.capabilities: names resolved to sets, and the steps that apply them.
// apply_credentials (credentials.cpp) runs the steps around the user switch,
// because each has to happen at its own moment.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "spec/config.hpp"
#include "sys/error.hpp"

namespace berth::linux {

// Each set as a mask, bit n for capability n (the kernel has fewer than 64).
struct CapabilitySets {
  std::uint64_t bounding = 0;
  std::uint64_t effective = 0;
  std::uint64_t permitted = 0;
  std::uint64_t inheritable = 0;
  std::uint64_t ambient = 0;
};

// The highest capability the running kernel knows (what
// /proc/sys/kernel/cap_last_cap says, found without needing procfs).
unsigned running_kernel_last_cap();

// Names to masks. Unknown names, and capabilities above last_cap, are left out
// with one warning per name.
CapabilitySets resolve_capabilities(const spec::Capabilities &names, unsigned last_cap,
                                    std::vector<std::string> &warnings);

// Drops every capability not in `keep` from the bounding set: one
// PR_CAPBSET_DROP per capability up to last_cap that is not kept, nothing read
// beforehand. Needs CAP_SETPCAP, so it runs before the user switch; without it,
// a drop of a capability the set does not have is not an error.
Result<void> drop_bounding_set(std::uint64_t keep, unsigned last_cap);

// Fails when the runtime itself is not permitted a capability of
// sets.permitted (a host that withholds it, a reduced bounding set, rootless):
// the permitted set can only shrink, so the later capset would fail. Checked
// during create, so that create fails as runc's does, not start.
Result<void> check_capabilities_grantable(const CapabilitySets &sets);

// Sets the effective, permitted and inheritable sets to exactly the given ones,
// with one capset call; allocates nothing unless it fails.
Result<void> set_capabilities(const CapabilitySets &sets);

// The name of capability `cap` ("CAP_CHOWN"), "capability N" past the table.
std::string capability_name(unsigned cap);

// Clears the ambient set and raises sets.ambient. The kernel only lets a
// capability be ambient while it is permitted and inheritable: the caller
// leaves the others out (with a warning, as runc does, because `runc spec`'s
// own default config lists ambient capabilities and, since CVE-2022-29162, no
// inheritable ones); one left in fails.
Result<void> set_ambient_capabilities(const CapabilitySets &sets, unsigned last_cap);

} // namespace berth::linux
