// The runtime-spec "features document" (features.md, features-linux.md) that
// `berth features` prints: what this build of berth recognizes and supports,
// so that an engine can ask before it writes a config.json.
//
// The spec wants the document to describe the runtime, not the host, and to be
// fixed at build time; the one exception it names is seccomp's supportedFlags
// ("may be a subset of knownFlags due to ... the current kernel"), which is the
// only value here that comes from the running system. AppArmor and SELinux are
// therefore "enabled" because berth implements them, whether or not this host
// runs either.
#pragma once

#include <string_view>
#include <vector>

#include "json/value.hpp"

namespace berth::features {

// The part of the document that depends on the running kernel.
struct HostFacts {
  // Seccomp filter flags (config.json names) that berth can apply here: known
  // to berth and accepted by this kernel's seccomp(2).
  std::vector<std::string_view> seccomp_supported_flags;
};

// Asks the kernel (see probe.cpp); no side effects.
HostFacts probe_host();

// The document, as a JSON object with the spec's field names. Pure: the same
// facts give the same document.
json::Value document(const HostFacts &facts);

// Each SECCOMP_FILTER_FLAG_* berth knows (tables/seccomp.hpp) that this kernel's
// seccomp(2) accepts.
std::vector<std::string_view> kernel_seccomp_flags();

} // namespace berth::features
