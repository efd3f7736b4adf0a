// OCI hooks (config.md "POSIX-platform Hooks", runtime.md "Lifecycle"):
// programs that config.json names for fixed moments of a container's life,
// each given the container's state on its stdin.
//
// Who runs which, and where (see the callers):
//   prestart, createRuntime  berth, in the runtime namespace, during create,
//                            when the init asks (its namespaces exist, its
//                            mounts are made, pivot_root not done yet);
//   createContainer          the init, in the container's namespaces, right
//                            after those, still before pivot_root;
//   startContainer           the init, during start, before the exec;
//   poststart                berth, after start saw the exec happen;
//   poststop                 berth, once delete removed the container.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "spec/config.hpp"
#include "sys/error.hpp"

namespace berth::process {

enum class HookKind {
  Prestart,
  CreateRuntime,
  CreateContainer,
  StartContainer,
  Poststart,
  Poststop
};

// The config.json name of the kind: "createRuntime".
std::string_view hook_kind_name(HookKind kind);

// Runs one hook and waits for it: `path` executed with `args` as its argv
// (args[0] is argv[0]; just the path when args is empty) and exactly `env` as
// its environment, `state_json` on its stdin (a hook that does not read it is
// fine), berth's stdout and stderr, and no other fd of berth's. Fails when it
// cannot be executed, exits non-zero, is killed, or is still running after
// `timeout` seconds (it is SIGKILLed then).
Result<void> run_hook(const spec::Hook &hook, std::string_view state_json);

// Runs `hooks` in order and stops at the first failure, which it names:
// "createRuntime hook 1 (/usr/bin/netns-setup): exited with status 3".
Result<void> run_hooks(HookKind kind, const std::vector<spec::Hook> &hooks,
                       std::string_view state_json);

// Runs every hook of `hooks`, whatever the earlier ones did: a failure is a
// warning (runtime.md: poststart and poststop hook failures are logged, "the
// remaining hooks and lifecycle continue as if the hook had succeeded").
void run_hooks_warning_on_failure(HookKind kind, const std::vector<spec::Hook> &hooks,
                                  std::string_view state_json);

// The spec's state (runtime.md "State": ociVersion, id, status, pid, bundle,
// annotations) as a hook gets it on its stdin.
struct HookState {
  std::string oci_version;
  std::string id;
  std::string status; // "creating", "created", "running", "stopped"
  int pid = 0;        // left out when 0 (a stopped container has none)
  std::string bundle;
  spec::StringMap annotations;
  std::string to_json() const;
};

} // namespace berth::process
