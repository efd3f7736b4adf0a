// Compiled seccomp programs kept in the state root, so that a container engine
// starting container after container with the same large profile (Podman's
// default: ~460 names on 3 architectures, ~11 ms in libseccomp) pays for the
// compilation once, not on every create.
//
// <state_root>/@cache/seccomp/<16 hex digits>: '@' is never in a container id
// (container/id.cpp), so `list` and `create` never take the directory for a
// container. One file per distinct profile; at most kMaxCacheFiles of them.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "seccomp/filter.hpp"
#include "spec/config.hpp"
#include "sys/error.hpp"

namespace berth::seccomp {

// compile(seccomp), from the cache in `state_root` when an earlier create with
// the same profile, on the same berth binary, libseccomp and kernel, compiled
// it already. Errors are compile()'s: only programs that compiled are kept,
// and a compilation is a function of the key alone, so a hit can never hide a
// config error. The cache is best effort: a state root that does not exist
// yet, is read-only or full, or a cache file that is not trustworthy or not
// readable only costs a compilation (and a debug log line), never the create.
//
// compile() logs the syscall names it skips (debug); on a hit they are not
// logged again: they were logged by the create that compiled the program.
Result<Program> compile_cached(const spec::Seccomp &seccomp, const std::string &state_root,
                               bool enosys_for_newer = true);

// Whether a container's annotations leave enosys_for_newer on (compile()):
// everything but kEnosysAnnotation set to "false" does.
bool enosys_for_newer(const std::map<std::string, std::string> &annotations);

// The pieces of the cache, for tests.
namespace cache_detail {

// At most this many programs are kept; writing one more removes the oldest.
inline constexpr std::size_t kMaxCacheFiles = 64;

// Every input the compiled program depends on, as deterministic bytes: the
// cache format, whether newer calls get ENOSYS, this berth binary, libseccomp's version, the
// kernel, and every field of the profile that reaches the program. std::nullopt when the binary
// cannot be identified (no /proc): then nothing may be cached.
std::optional<std::string> key_of(const spec::Seccomp &seccomp, bool enosys_for_newer = true);

// The key's file name: its 64-bit FNV-1a hash in hex.
std::string file_name(std::string_view key);

// A cache file's bytes, and back: std::nullopt unless `bytes` is a whole,
// intact file for exactly `key`.
std::string encode(std::string_view key, const Program &program);
std::optional<Program> decode(std::string_view bytes, std::string_view key);

} // namespace cache_detail
} // namespace berth::seccomp
