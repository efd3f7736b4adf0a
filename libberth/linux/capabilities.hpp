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

// Drops every capability not in `keep` from the bounding set. Needs
// CAP_SETPCAP, so it runs before the user switch; when nothing needs dropping
// it does nothing (and so needs nothing).
Result<void> drop_bounding_set(std::uint64_t keep, unsigned last_cap);

// Sets the effective, permitted and inheritable sets to exactly the given ones.
Result<void> set_capabilities(const CapabilitySets &sets);

// Clears the ambient set and raises sets.ambient. The kernel only lets a
// capability be ambient while it is permitted and inheritable; one that is not
// is skipped with a warning, as runc does, because `runc spec`'s own default
// config lists ambient capabilities and (since CVE-2022-29162) no inheritable ones.
Result<void> set_ambient_capabilities(const CapabilitySets &sets, unsigned last_cap,
                                      std::vector<std::string> &warnings);

} // namespace berth::linux
