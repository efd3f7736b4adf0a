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
// A rule without type, or of type "a", matches both char and block devices; an
// absent or negative major or minor matches any number; an absent access means
// "rwm" and an empty one matches nothing. An allow rule matches an attempt
// whose every access it grants (open O_RDWR asks for "rw" at once); a deny rule
// matches an attempt that asks for any access it names.
std::vector<bpf_insn> build_device_program(const std::vector<spec::DeviceCgroupRule> &rules);

// The rules every container gets on top of its own, runc's: mknod of any char
// or block device ("m" alone), and "rwm" for the spec's default devices
// /dev/null, zero, full, random, urandom, tty, ptmx and /dev/pts/*, and for
// /dev/net/tun. Appended after the spec's rules, so that they win.
std::vector<spec::DeviceCgroupRule> default_device_rules();

// The name berth's device programs carry in the kernel (bpftool prog shows
// it); attach and detach recognise their own programs by it.
inline constexpr char kDeviceProgramName[] = "berth_devices";

// Loads the program (BPF_PROG_LOAD, license GPL). A refusal carries the
// verifier's last words: "load the device program: R0 !read_ok: Permission denied".
Result<UniqueFd> load_device_program(const std::vector<bpf_insn> &program);

// Loads the program and attaches it to the cgroup directory fd (opened
// O_RDONLY|O_DIRECTORY: the kernel does not take an O_PATH fd here), replacing
// the one berth attached before (BPF_F_ALLOW_MULTI with BPF_F_REPLACE when
// there is one), so that no access slips through between the two.
Result<void> attach_device_program(int cgroup_dirfd, const std::vector<bpf_insn> &program);

// Detaches the device programs berth attached to the cgroup (programs of
// others stay). Removing the cgroup releases them too.
Result<void> detach_device_programs(int cgroup_dirfd);

} // namespace berth::cgroup
