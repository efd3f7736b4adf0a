// The spec's namespace types: name in config.json, clone flag, /proc/<pid>/ns entry.
#pragma once

#include <sched.h>

#include <array>
#include <string_view>

#include "tables/lookup.hpp"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace berth::tables {

// The kinds config.json names in linux.namespaces[].type (NamespaceType).
enum class NamespaceType { Pid, Network, Mount, Ipc, Uts, User, Cgroup, Time };

struct NamespaceInfo {
  NamespaceType type;
  std::string_view name;      // "network", as config.json spells it
  int clone_flag;             // CLONE_NEWNET
  std::string_view proc_name; // "net", as /proc/<pid>/ns/ spells it
};

inline constexpr std::array kNamespaces = {
    NamespaceInfo{NamespaceType::User, "user", CLONE_NEWUSER, "user"},
    NamespaceInfo{NamespaceType::Pid, "pid", CLONE_NEWPID, "pid"},
    NamespaceInfo{NamespaceType::Network, "network", CLONE_NEWNET, "net"},
    NamespaceInfo{NamespaceType::Mount, "mount", CLONE_NEWNS, "mnt"},
    NamespaceInfo{NamespaceType::Ipc, "ipc", CLONE_NEWIPC, "ipc"},
    NamespaceInfo{NamespaceType::Uts, "uts", CLONE_NEWUTS, "uts"},
    NamespaceInfo{NamespaceType::Cgroup, "cgroup", CLONE_NEWCGROUP, "cgroup"},
    NamespaceInfo{NamespaceType::Time, "time", CLONE_NEWTIME, "time"},
};

inline const NamespaceInfo *find_namespace(std::string_view name) {
  return find_by_name(kNamespaces, name);
}

inline const NamespaceInfo &namespace_info(NamespaceType type) {
  for (const auto &ns : kNamespaces)
    if (ns.type == type)
      return ns;
  return kNamespaces[0]; // unreachable: every enumerator has a row
}

} // namespace berth::tables
