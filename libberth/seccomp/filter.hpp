// linux.seccomp turned into a kernel filter: compiled once by berth before the
// init is cloned (so config errors come before any side effect, and the init
// inherits the program in its copy of memory), loaded by the init as late as
// it can, and, for SCMP_ACT_NOTIFY, its listener fd handed to the agent at
// listenerPath (config-linux.md "Seccomp", runtime.md "Container Process State").
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spec/config.hpp"
#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace berth::seccomp {

// A compiled filter, ready for seccomp(SECCOMP_SET_MODE_FILTER).
struct Program {
  std::vector<sock_filter> instructions;
  // SECCOMP_FILTER_FLAG_* for seccomp(2): the config's flags (TSYNC dropped: the
  // init is single-threaded, and it cannot go with NEW_LISTENER; WAIT_KILLABLE_RECV
  // dropped without a listener, which the kernel requires for it), plus
  // NEW_LISTENER when the default action or any rule's action is SCMP_ACT_NOTIFY.
  unsigned long flags = 0;
  bool uses_notify() const { return (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) != 0; }
};

// How long compile() lets libseccomp work on one filter. Real profiles take
// milliseconds (Podman's default about 11); the bound is there because
// libseccomp 2.5.4 can loop forever on some combinations of argument
// conditions (compile.cpp, run_libseccomp).
inline constexpr std::chrono::milliseconds kCompileDeadline{10'000};

// Compiles `seccomp` (already validated by spec/) for the native architecture
// and the listed ones. Syscall names this libseccomp does not know are skipped
// with a debug log line (they may be newer than the library). Errors are config
// errors naming the JSON path under `pointer`
// ("config.json: /linux/seccomp/syscalls/3: add rule for mount: Invalid argument").
// libseccomp runs in a forked child, killed when it is not done by `deadline`.
//
// With `enosys_for_newer` (berth's default, as runc does it since 1.0.0-rc93),
// when the default action denies (an errno other than ENOSYS, a kill, a trap),
// a call whose number is above the highest the profile names, for the
// architecture the call comes from, fails with ENOSYS instead: glibc and Go
// fall back from a new call to an old one on ENOSYS only. Every call the
// profile names, and every one numbered below the highest, keeps the
// profile's action. The check is a prologue before libseccomp's program
// (enosys_prologue).
Result<Program> compile(const spec::Seccomp &seccomp, std::string_view pointer = "/linux/seccomp",
                        std::chrono::milliseconds deadline = kCompileDeadline,
                        bool enosys_for_newer = true);

// The annotation that turns enosys_for_newer off for a container: "false".
inline constexpr std::string_view kEnosysAnnotation = "org.berth.seccomp.enosys";

// The highest system call number a profile names on one architecture.
struct NewestKnown {
  std::uint32_t token; // AUDIT_ARCH_*
  std::uint32_t newest;
};

// The instructions compile() puts before libseccomp's program: for each architecture in `newest`, a
// call above its newest returns ERRNO(ENOSYS) (on x86_64, x32 calls are left alone); everything
// else goes on to the program's first instruction.
std::vector<sock_filter> enosys_prologue(const std::vector<NewestKnown> &newest);

// Loads the program into the calling thread. Without no_new_privs the caller
// needs CAP_SYS_ADMIN in its user namespace. Returns the notify listener fd
// (close-on-exec) when the program uses notify, an empty UniqueFd otherwise.
// Meant for the last moment before execve: it makes one system call and, when
// that succeeds, nothing else (no allocation the new filter could refuse).
Result<UniqueFd> load(const Program &program);

// The "container process state" of runtime.md that goes with the listener fd:
// {"ociVersion", "fds": ["seccompFd"], "pid", "metadata", "state": <state>},
// where `state_json` is the container's state document as `berth state` prints
// it, embedded as an object ("metadata" only when given). A `state_json` that
// does not parse (a bug in the caller) is embedded as null.
std::string process_state_json(std::string_view oci_version, int pid,
                               const std::optional<std::string> &metadata,
                               std::string_view state_json);

// Connects to the unix socket at `listener_path` (a host path): berth does this
// before the init is cloned, so the init can send from inside the container.
Result<UniqueFd> connect_listener(const std::string &listener_path);

// Sends `process_state` with `notify_fd` in one SCM_RIGHTS message over
// `connection`, as the spec asks. Allocates nothing unless it fails, so the
// init may call it after load().
Result<void> send_listener_fd(int connection, int notify_fd, std::string_view process_state);

} // namespace berth::seccomp
