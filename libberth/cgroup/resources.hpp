// linux.resources -> the files and values that express it, for v1, v2 and
// hybrid hosts. Pure translation, no I/O: the manager routes each write to the
// hierarchy that owns its controller. Devices on v2 are an eBPF program, not a
// file (see device_bpf.hpp).
//
// Each resource section is translated for the version of the hierarchy that
// owns its controller, so a hybrid host gets v1 files for memory and v2 files
// for hugetlb from one plan. A section whose controller no hierarchy has is an
// error naming its JSON pointer, but only when the section asks for something.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cgroup/hierarchy.hpp"
#include "spec/config.hpp"
#include "sys/error.hpp"

namespace berth::cgroup {

struct FileWrite {
  std::string controller; // "memory", "cpu", "io", "blkio", ... (selects the hierarchy)
  std::string file;       // "memory.max", "cpu.max", "devices.allow" ...
  std::string value;      // exactly what is written, in one write(2)
  // Written instead when `file` does not exist (ENOENT): the same setting
  // under another name on other kernels (blkio.weight -> blkio.bfq.weight
  // once CFQ was removed). Empty: none.
  std::string fallback_file;
  // When neither file exists, skip the write instead of failing: for settings
  // only some kernels have (hugetlb.<size>.rsvd.*, io.bfq.weight, swap limits
  // without swap accounting, CFQ's leaf weights).
  bool optional = false;
};

// The version of the hierarchy that owns a controller ("memory", "io",
// "blkio", "net_cls" ...), or nullopt when no hierarchy has it. For "cgroup"
// (the core files of v2, as in the `unified` key "cgroup.max.depth") it answers
// Version::V2 when the host has a unified hierarchy.
using ControllerVersion = std::function<std::optional<Version>(std::string_view controller)>;

struct ResourcePlan {
  // In the order they must be written (the manager must keep it):
  //   devices (v1): "a" to devices.deny, then each rule in spec order;
  //   memory: v1 memsw is lifted to -1, then the limit, then memsw set, which
  //     is valid whatever the current values (memsw >= limit always holds);
  //   cpu: cpu.idle 0 before the weight/shares (the kernel refuses a weight
  //     for an idle group), cpu.idle 1 after; a burst is zeroed before the
  //     quota changes and set after (burst <= quota always holds); the v1 CFS
  //     and RT periods before their quota/runtime;
  //   then cpuset, pids, io/blkio, hugetlb, rdma, network;
  //   unified last, so that its verbatim values win over translated ones.
  std::vector<FileWrite> writes;
  // Settings this host's cgroups cannot express, left out rather than
  // refused, each "<pointer>: <why>" (for warnings): on v2
  // memory.disableOOMKiller, swappiness, kernel, kernelTCP, useHierarchy false,
  // blockIO leafWeight; on v1 memory.kernel and kernelTCP (deprecated).
  std::vector<std::string> ignored;
};

// `pointer` is where the resources sit in the document ("/linux/resources" in
// config.json, "" for update --resources); errors name the pointer of the
// offending field ("/linux/resources/network: not supported on cgroup v2").
//
// Device rules are translated as given: an empty list writes nothing (update
// leaves the rules alone), so on create the caller appends
// default_device_rules() to the spec's rules. On v2 they produce no write:
// the caller attaches build_device_program(rules) (device_bpf.hpp).
// memory.checkBeforeUpdate needs the current usage, so it is the manager's.
Result<ResourcePlan> plan_resources(const spec::Resources &resources,
                                    const ControllerVersion &version_of,
                                    std::string_view pointer = "/linux/resources");

// The plan for a host whose every controller is on v2 (or on v1), writes only.
Result<std::vector<FileWrite>> v2_writes(const spec::Resources &resources);
Result<std::vector<FileWrite>> v1_writes(const spec::Resources &resources);

// The conversions with a formula, exposed for unit tests and `update`. Values
// outside the input range are clamped to it first.
std::uint64_t cpu_shares_to_weight(std::uint64_t shares);      // [2, 262144] -> [1, 10000]
std::uint64_t blkio_weight_to_io_weight(std::uint64_t weight); // [10, 1000] -> [1, 10000]

} // namespace berth::cgroup
