// The spec's namespace types: name in config.json, clone flag, /proc/<pid>/ns entry.
#pragma once

#include <sched.h>

#include <array>
#include <string_view>

#include "spec/config.hpp"
#include "tables/lookup.hpp"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace berth::tables {

struct NamespaceInfo {
  spec::NamespaceType type;
  std::string_view name;      // "network", as config.json spells it
  int clone_flag;             // CLONE_NEWNET
  std::string_view proc_name; // "net", as /proc/<pid>/ns/ spells it
};

inline constexpr std::array kNamespaces = {
    NamespaceInfo{spec::NamespaceType::User, "user", CLONE_NEWUSER, "user"},
    NamespaceInfo{spec::NamespaceType::Pid, "pid", CLONE_NEWPID, "pid"},
    NamespaceInfo{spec::NamespaceType::Network, "network", CLONE_NEWNET, "net"},
    NamespaceInfo{spec::NamespaceType::Mount, "mount", CLONE_NEWNS, "mnt"},
    NamespaceInfo{spec::NamespaceType::Ipc, "ipc", CLONE_NEWIPC, "ipc"},
    NamespaceInfo{spec::NamespaceType::Uts, "uts", CLONE_NEWUTS, "uts"},
    NamespaceInfo{spec::NamespaceType::Cgroup, "cgroup", CLONE_NEWCGROUP, "cgroup"},
    NamespaceInfo{spec::NamespaceType::Time, "time", CLONE_NEWTIME, "time"},
};

inline const NamespaceInfo *find_namespace(std::string_view name) {
  return find_by_name(kNamespaces, name);
}

inline const NamespaceInfo &namespace_info(spec::NamespaceType type) {
  for (const auto &ns : kNamespaces)
    if (ns.type == type)
      return ns;
  return kNamespaces[0]; // unreachable: every enumerator has a row
}

} // namespace berth::tables
