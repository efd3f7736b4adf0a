// A test aid: BERTH_TEST_KILL_AT=<stage> makes berth SIGKILL itself when create
// reaches the named stage, so that tests can check what a create killed halfway
// leaves behind (and that `delete --force` removes it); the exec stages kill
// one of exec's children instead. Built in only with
// -Dfault_injection=true, which test builds set (tests/run-all.sh) and the
// default does not: in an installed binary every call does nothing.
#pragma once

#include <string_view>

namespace berth::sys {

// The stages, in the order create reaches them (berth(8), ENVIRONMENT).
inline constexpr std::string_view kFaultStages[] = {
    "state-reserved", // the state directory exists, nothing else
    "cgroup-created", // the cgroup exists and state.json names it
    "cloned",         // the init (or its staging process) exists, its pid is not recorded
    "pid-recorded",   // the pid is known; state.json holds it unless the init was
                      // cloned into its cgroup (delete finds it there)
    "init-ready",     // the init is set up and waits for Commit
    "before-commit",  // create's state.json says created (run's, creating); no Commit yet
    "committed",      // the init has Commit; berth has not returned yet
};

// The stages of exec, where the process named dies instead of berth.
inline constexpr std::string_view kExecFaultStages[] = {
    "exec-stager-forked", // the stager has forked the process, not reported it
};

// SIGKILLs the calling process when BERTH_TEST_KILL_AT names `stage`.
void fault_point(std::string_view stage);

} // namespace berth::sys
