// The devices config-linux.md ("Default Devices") makes every runtime supply,
// with their numbers (Documentation/admin-guide/devices.txt): /dev is populated
// with these nodes, and the device cgroup allows them.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace berth::tables {

struct DefaultDevice {
  std::string_view path;
  std::int64_t major;
  std::int64_t minor;
};

// Character devices, all of them.
inline constexpr std::array kDefaultDevices = {
    DefaultDevice{"/dev/null", 1, 3},    DefaultDevice{"/dev/zero", 1, 5},
    DefaultDevice{"/dev/full", 1, 7},    DefaultDevice{"/dev/random", 1, 8},
    DefaultDevice{"/dev/urandom", 1, 9}, DefaultDevice{"/dev/tty", 5, 0},
};

// /dev/ptmx (5:2) and the pseudo-terminal slaves under /dev/pts, which the
// kernel numbers from major 136 upwards; the spec's ptmx is a link to
// pts/ptmx, and /dev/console of a terminal container is one of those slaves.
inline constexpr DefaultDevice kPtmx{"/dev/ptmx", 5, 2};
inline constexpr std::int64_t kPtsMajor = 136;

// Allowed by the device cgroup but not created: /dev/net/tun, which runc has
// always allowed and engines rely on (a VPN client in a container with
// CAP_NET_ADMIN makes the node, or bind-mounts it, and opens it).
inline constexpr DefaultDevice kTun{"/dev/net/tun", 10, 200};

} // namespace berth::tables
