// The spec's rlimit names and their setrlimit(2) resources.
#pragma once

#include <sys/resource.h>

#include <array>
#include <string_view>

#include "tables/lookup.hpp"

namespace berth::tables {

struct RlimitInfo {
  std::string_view name; // "RLIMIT_NOFILE"
  int resource;
};

inline constexpr std::array kRlimits = {
    RlimitInfo{"RLIMIT_AS", RLIMIT_AS},
    RlimitInfo{"RLIMIT_CORE", RLIMIT_CORE},
    RlimitInfo{"RLIMIT_CPU", RLIMIT_CPU},
    RlimitInfo{"RLIMIT_DATA", RLIMIT_DATA},
    RlimitInfo{"RLIMIT_FSIZE", RLIMIT_FSIZE},
    RlimitInfo{"RLIMIT_LOCKS", RLIMIT_LOCKS},
    RlimitInfo{"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    RlimitInfo{"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    RlimitInfo{"RLIMIT_NICE", RLIMIT_NICE},
    RlimitInfo{"RLIMIT_NOFILE", RLIMIT_NOFILE},
    RlimitInfo{"RLIMIT_NPROC", RLIMIT_NPROC},
    RlimitInfo{"RLIMIT_RSS", RLIMIT_RSS},
    RlimitInfo{"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    RlimitInfo{"RLIMIT_RTTIME", RLIMIT_RTTIME},
    RlimitInfo{"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    RlimitInfo{"RLIMIT_STACK", RLIMIT_STACK},
};

inline const RlimitInfo *find_rlimit(std::string_view name) {
  return find_by_name(kRlimits, name);
}

} // namespace berth::tables
