// linux.resources -> the files and values that express it, for v1 and for v2.
// Pure translation, no I/O: the manager routes each write to the hierarchy
// that owns its controller. Devices on v2 are an eBPF program, not a file
// (see device_bpf.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cgroup/hierarchy.hpp"
#include "spec/config.hpp"
#include "sys/error.hpp"

namespace berth::cgroup {

struct FileWrite {
  std::string controller; // "memory", "cpu", "pids", ... (selects the hierarchy)
  std::string file;       // "memory.max", "cpu.max", "devices.allow" ...
  std::string value;      // exactly what is written
};

// Translations errors name the JSON pointer ("/linux/resources/network: the
// network controller does not exist on cgroup v2").
Result<std::vector<FileWrite>> v2_writes(const spec::Resources &resources);
Result<std::vector<FileWrite>> v1_writes(const spec::Resources &resources);

// The conversions with a formula, exposed for unit tests and `update`.
std::uint64_t cpu_shares_to_weight(std::uint64_t shares);  // [2, 262144] -> [1, 10000]
std::uint64_t blkio_weight_to_io_weight(std::uint64_t weight); // [10, 1000] -> [1, 10000]

} // namespace berth::cgroup
