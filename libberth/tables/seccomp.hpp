// The seccomp names of the runtime spec (config-linux.md, "Seccomp") and what
// they mean to libseccomp and the kernel: actions, argument operators,
// architectures and filter flags, one table each.
#pragma once

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include <array>
#include <cstdint>
#include <string_view>

#include "tables/lookup.hpp"

// Flags newer than some kernel headers berth may be built against.
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

namespace berth::tables {

struct SeccompActionInfo {
  std::string_view name; // "SCMP_ACT_ERRNO"
  std::uint32_t action;  // the libseccomp action; for ERRNO and TRACE, with no data yet
  // ERRNO and TRACE carry a 16-bit errno in the action's low bits (errnoRet,
  // EPERM when absent); errnoRet on any other action is a config error.
  bool takes_errno;
};

inline constexpr std::array kSeccompActions = {
    SeccompActionInfo{"SCMP_ACT_KILL", SCMP_ACT_KILL, false},
    SeccompActionInfo{"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false},
    SeccompActionInfo{"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false},
    SeccompActionInfo{"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false},
    SeccompActionInfo{"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true},
    SeccompActionInfo{"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true},
    SeccompActionInfo{"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false},
    SeccompActionInfo{"SCMP_ACT_LOG", SCMP_ACT_LOG, false},
    SeccompActionInfo{"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false},
};

inline const SeccompActionInfo *find_seccomp_action(std::string_view name) {
  return find_by_name(kSeccompActions, name);
}

// The action with its errno folded in, as seccomp_init/seccomp_rule_add take it.
constexpr std::uint32_t seccomp_action_value(const SeccompActionInfo &info,
                                             std::uint32_t errno_ret) {
  return info.takes_errno ? (info.action | (errno_ret & 0xffffU)) : info.action;
}

struct SeccompOperatorInfo {
  std::string_view name; // "SCMP_CMP_MASKED_EQ"
  scmp_compare op;
};

inline constexpr std::array kSeccompOperators = {
    SeccompOperatorInfo{"SCMP_CMP_NE", SCMP_CMP_NE},
    SeccompOperatorInfo{"SCMP_CMP_LT", SCMP_CMP_LT},
    SeccompOperatorInfo{"SCMP_CMP_LE", SCMP_CMP_LE},
    SeccompOperatorInfo{"SCMP_CMP_EQ", SCMP_CMP_EQ},
    SeccompOperatorInfo{"SCMP_CMP_GE", SCMP_CMP_GE},
    SeccompOperatorInfo{"SCMP_CMP_GT", SCMP_CMP_GT},
    SeccompOperatorInfo{"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

inline const SeccompOperatorInfo *find_seccomp_operator(std::string_view name) {
  return find_by_name(kSeccompOperators, name);
}

struct SeccompArchInfo {
  std::string_view name; // "SCMP_ARCH_X86_64"
  std::uint32_t token;   // the libseccomp architecture token (an AUDIT_ARCH_* value)
  // False when the libseccomp berth is built with predates the architecture:
  // the name is still valid in a config, but seccomp_arch_add would refuse it.
  bool available;
};

namespace detail {
// The spec lists architectures that libseccomp added after 2.5; their tokens
// are the kernel's AUDIT_ARCH_* values, which libseccomp uses as its own.
#ifdef SCMP_ARCH_LOONGARCH64
inline constexpr SeccompArchInfo kArchLoongarch64{"SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64,
                                                  true};
#else
inline constexpr SeccompArchInfo kArchLoongarch64{"SCMP_ARCH_LOONGARCH64", AUDIT_ARCH_LOONGARCH64,
                                                  false};
#endif
#ifdef SCMP_ARCH_M68K
inline constexpr SeccompArchInfo kArchM68k{"SCMP_ARCH_M68K", SCMP_ARCH_M68K, true};
#else
inline constexpr SeccompArchInfo kArchM68k{"SCMP_ARCH_M68K", AUDIT_ARCH_M68K, false};
#endif
// libseccomp names the little-endian SuperH "SH" and the big-endian one "SHEB".
#ifdef SCMP_ARCH_SH
inline constexpr SeccompArchInfo kArchSh{"SCMP_ARCH_SH", SCMP_ARCH_SH, true};
#else
inline constexpr SeccompArchInfo kArchSh{"SCMP_ARCH_SH", AUDIT_ARCH_SHEL, false};
#endif
#ifdef SCMP_ARCH_SHEB
inline constexpr SeccompArchInfo kArchSheb{"SCMP_ARCH_SHEB", SCMP_ARCH_SHEB, true};
#else
inline constexpr SeccompArchInfo kArchSheb{"SCMP_ARCH_SHEB", AUDIT_ARCH_SH, false};
#endif
} // namespace detail

inline constexpr std::array kSeccompArchitectures = {
    SeccompArchInfo{"SCMP_ARCH_X86", SCMP_ARCH_X86, true},
    SeccompArchInfo{"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64, true},
    SeccompArchInfo{"SCMP_ARCH_X32", SCMP_ARCH_X32, true},
    SeccompArchInfo{"SCMP_ARCH_ARM", SCMP_ARCH_ARM, true},
    SeccompArchInfo{"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64, true},
    SeccompArchInfo{"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS, true},
    SeccompArchInfo{"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64, true},
    SeccompArchInfo{"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32, true},
    SeccompArchInfo{"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL, true},
    SeccompArchInfo{"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64, true},
    SeccompArchInfo{"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32, true},
    SeccompArchInfo{"SCMP_ARCH_PPC", SCMP_ARCH_PPC, true},
    SeccompArchInfo{"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64, true},
    SeccompArchInfo{"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE, true},
    SeccompArchInfo{"SCMP_ARCH_S390", SCMP_ARCH_S390, true},
    SeccompArchInfo{"SCMP_ARCH_S390X", SCMP_ARCH_S390X, true},
    SeccompArchInfo{"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC, true},
    SeccompArchInfo{"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64, true},
    SeccompArchInfo{"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64, true},
    detail::kArchLoongarch64,
    detail::kArchM68k,
    detail::kArchSh,
    detail::kArchSheb,
};

inline const SeccompArchInfo *find_seccomp_arch(std::string_view name) {
  return find_by_name(kSeccompArchitectures, name);
}

// libseccomp exposes most seccomp(2) flags as filter attributes; a flag with
// no attribute (WAIT_KILLABLE_RECV before libseccomp 2.6) has to be passed to
// seccomp(2) directly when loading the exported program.
inline constexpr auto kNoSeccompAttribute = _SCMP_FLTATR_MIN;

struct SeccompFlagInfo {
  std::string_view name;      // "SECCOMP_FILTER_FLAG_LOG"
  unsigned long kernel_flag;  // SECCOMP_FILTER_FLAG_LOG
  scmp_filter_attr attribute; // SCMP_FLTATR_CTL_LOG, or kNoSeccompAttribute
};

inline constexpr std::array kSeccompFlags = {
    SeccompFlagInfo{"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC, SCMP_FLTATR_CTL_TSYNC},
    SeccompFlagInfo{"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG, SCMP_FLTATR_CTL_LOG},
    SeccompFlagInfo{"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW,
                    SCMP_FLTATR_CTL_SSB},
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
    SeccompFlagInfo{"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
                    SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, SCMP_FLTATR_CTL_WAITKILL},
#else
    SeccompFlagInfo{"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
                    SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, kNoSeccompAttribute},
#endif
};

inline const SeccompFlagInfo *find_seccomp_flag(std::string_view name) {
  return find_by_name(kSeccompFlags, name);
}

} // namespace berth::tables
