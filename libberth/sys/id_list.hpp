// The kernel's list syntax for CPUs and NUMA nodes ("0-3,7", as in
// cpuset.cpus, Cpus_allowed_list, numactl): used by process.execCPUAffinity
// and linux.memoryPolicy.nodes.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace berth::sys {

// Ids above this are refused: no kernel has that many CPUs or nodes
// (NR_CPUS tops out at 8192), and the bound keeps "0-4294967295" from
// allocating gigabytes.
inline constexpr unsigned kMaxListedId = 65535;

// Comma-separated decimal ids or ascending "low-high" ranges; no spaces, no
// empty items. The ids in ascending order without repeats, or nullopt when
// `text` is empty or malformed or names an id above kMaxListedId.
std::optional<std::vector<unsigned>> parse_id_list(std::string_view text);

} // namespace berth::sys
