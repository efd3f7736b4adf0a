// Everything create checks and prepares before its first side effect, in one
// place: config.json loaded and validated, what this host and this release of
// berth cannot honour refused (with the JSON path), the namespaces opened, the
// seccomp filter compiled, the console connected, the cgroup planned. The
// result is one CreatePlan; create.cpp then only carries it out.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cgroup/manager.hpp"
#include "container/container.hpp"
#include "process/namespaces.hpp"
#include "seccomp/filter.hpp"
#include "spec/config.hpp"
#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace berth::container {

// linux.seccomp compiled with the rest of validation, so that a bad profile
// fails before any side effect (the compiled-program cache in the state root is
// the one exception, and harmless); and its listenerPath connected while berth
// can still reach host paths (the init sends the listener fd over it).
struct SeccompSetup {
  std::optional<seccomp::Program> program;
  UniqueFd listener;
};

// Where the init sends process.terminal's master: --console-socket, connected
// now while berth can still reach host paths (a missing or dead listener fails
// create before any side effect), or for a foreground run one end of a
// socketpair whose other end the caller keeps.
struct ConsoleSetup {
  UniqueFd init_end;
  UniqueFd caller_end;
};

struct CreatePlan {
  std::string bundle; // absolute, symlinks resolved
  spec::Config config;
  std::string rootfs; // absolute, symlinks resolved
  process::NamespacePlan namespaces;
  SeccompSetup seccomp;
  ConsoleSetup console;
  cgroup::Manager cgroups;           // planned: nothing is made yet
  std::vector<std::string> warnings; // what berth skips, said once create succeeds
};

// Every check create makes before touching the system; `foreground` for a run
// that waits for the container (it may drive the terminal itself).
Result<CreatePlan> preflight(const GlobalOptions &global, const CreateOptions &options,
                             bool foreground);

// Fails on anything berth cannot honour; returns warnings for what it skips.
Result<std::vector<std::string>> check_supported(const spec::Config &config);

// runc's rules for process.terminal and --console-socket (its
// docs/terminals.md): a detached container (create, run -d) has no berth left
// to drive its terminal, so the master must go to --console-socket, which is
// then required; a foreground run drives the terminal itself unless given one.
// A console socket without a terminal would never receive anything: refused.
Result<void> check_terminal(const spec::Process &process, const CreateOptions &options,
                            bool foreground);

} // namespace berth::container
