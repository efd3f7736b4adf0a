// Capability names as config.json spells them ("CAP_CHOWN") and their numbers,
// for every capability the kernel headers define.
#pragma once

#include <linux/capability.h>

#include <array>
#include <cstddef>
#include <string_view>

#include "tables/lookup.hpp"

namespace berth::tables {

struct CapabilityInfo {
  std::string_view name; // "CAP_CHOWN"
  unsigned number;
};

inline constexpr std::array kCapabilities = {
    CapabilityInfo{"CAP_CHOWN", CAP_CHOWN},
    CapabilityInfo{"CAP_DAC_OVERRIDE", CAP_DAC_OVERRIDE},
    CapabilityInfo{"CAP_DAC_READ_SEARCH", CAP_DAC_READ_SEARCH},
    CapabilityInfo{"CAP_FOWNER", CAP_FOWNER},
    CapabilityInfo{"CAP_FSETID", CAP_FSETID},
    CapabilityInfo{"CAP_KILL", CAP_KILL},
    CapabilityInfo{"CAP_SETGID", CAP_SETGID},
    CapabilityInfo{"CAP_SETUID", CAP_SETUID},
    CapabilityInfo{"CAP_SETPCAP", CAP_SETPCAP},
    CapabilityInfo{"CAP_LINUX_IMMUTABLE", CAP_LINUX_IMMUTABLE},
    CapabilityInfo{"CAP_NET_BIND_SERVICE", CAP_NET_BIND_SERVICE},
    CapabilityInfo{"CAP_NET_BROADCAST", CAP_NET_BROADCAST},
    CapabilityInfo{"CAP_NET_ADMIN", CAP_NET_ADMIN},
    CapabilityInfo{"CAP_NET_RAW", CAP_NET_RAW},
    CapabilityInfo{"CAP_IPC_LOCK", CAP_IPC_LOCK},
    CapabilityInfo{"CAP_IPC_OWNER", CAP_IPC_OWNER},
    CapabilityInfo{"CAP_SYS_MODULE", CAP_SYS_MODULE},
    CapabilityInfo{"CAP_SYS_RAWIO", CAP_SYS_RAWIO},
    CapabilityInfo{"CAP_SYS_CHROOT", CAP_SYS_CHROOT},
    CapabilityInfo{"CAP_SYS_PTRACE", CAP_SYS_PTRACE},
    CapabilityInfo{"CAP_SYS_PACCT", CAP_SYS_PACCT},
    CapabilityInfo{"CAP_SYS_ADMIN", CAP_SYS_ADMIN},
    CapabilityInfo{"CAP_SYS_BOOT", CAP_SYS_BOOT},
    CapabilityInfo{"CAP_SYS_NICE", CAP_SYS_NICE},
    CapabilityInfo{"CAP_SYS_RESOURCE", CAP_SYS_RESOURCE},
    CapabilityInfo{"CAP_SYS_TIME", CAP_SYS_TIME},
    CapabilityInfo{"CAP_SYS_TTY_CONFIG", CAP_SYS_TTY_CONFIG},
    CapabilityInfo{"CAP_MKNOD", CAP_MKNOD},
    CapabilityInfo{"CAP_LEASE", CAP_LEASE},
    CapabilityInfo{"CAP_AUDIT_WRITE", CAP_AUDIT_WRITE},
    CapabilityInfo{"CAP_AUDIT_CONTROL", CAP_AUDIT_CONTROL},
    CapabilityInfo{"CAP_SETFCAP", CAP_SETFCAP},
    CapabilityInfo{"CAP_MAC_OVERRIDE", CAP_MAC_OVERRIDE},
    CapabilityInfo{"CAP_MAC_ADMIN", CAP_MAC_ADMIN},
    CapabilityInfo{"CAP_SYSLOG", CAP_SYSLOG},
    CapabilityInfo{"CAP_WAKE_ALARM", CAP_WAKE_ALARM},
    CapabilityInfo{"CAP_BLOCK_SUSPEND", CAP_BLOCK_SUSPEND},
    CapabilityInfo{"CAP_AUDIT_READ", CAP_AUDIT_READ},
    CapabilityInfo{"CAP_PERFMON", CAP_PERFMON},
    CapabilityInfo{"CAP_BPF", CAP_BPF},
    CapabilityInfo{"CAP_CHECKPOINT_RESTORE", CAP_CHECKPOINT_RESTORE},
};

// Row i is capability i, with none missing: the numbers are unique and a
// compile error here means the headers grew a capability the table lacks.
constexpr bool capabilities_are_dense() {
  for (std::size_t i = 0; i < kCapabilities.size(); ++i)
    if (kCapabilities[i].number != i)
      return false;
  return kCapabilities.size() == CAP_LAST_CAP + 1;
}
static_assert(capabilities_are_dense());

inline const CapabilityInfo *find_capability(std::string_view name) {
  return find_by_name(kCapabilities, name);
}

} // namespace berth::tables
