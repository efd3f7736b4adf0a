// The device controller of cgroup v2 is an eBPF program
// (BPF_PROG_TYPE_CGROUP_DEVICE) attached to the cgroup: built here from the
// spec's device rules, without libbpf, and loaded without raising
// RLIMIT_MEMLOCK (kernels since 5.11 account BPF memory to the cgroup instead).
#pragma once

#include <cstdint>
#include <vector>

#include <linux/bpf.h>

#include "spec/config.hpp"
#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace berth::cgroup {

// The rules as the program evaluates them: the last matching rule decides, and
// nothing matching means deny (the spec's default-deny, with the rules runc and
// crun add for the default devices already part of `rules` when the caller wants them).
std::vector<bpf_insn> build_device_program(const std::vector<spec::DeviceCgroupRule> &rules);

// The rules every container gets on top of its own (spec: the default devices
// /dev/null, zero, full, random, urandom, tty, ptmx and /dev/pts/*).
std::vector<spec::DeviceCgroupRule> default_device_rules();

// Loads the program and attaches it to the cgroup directory fd, replacing the
// one berth attached before (BPF_F_ALLOW_MULTI with BPF_F_REPLACE when there is one).
Result<void> attach_device_program(int cgroup_dirfd, const std::vector<bpf_insn> &program);

} // namespace berth::cgroup
