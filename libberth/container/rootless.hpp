// Rootless mode: berth run by an unprivileged user (or by root in a user
// namespace whose root is not the host's). It decides where state lives by
// default and what create may do without: a cgroup that is not delegated to the
// user is left out rather than failing the container.
#pragma once

#include <optional>
#include <string>

#include "process/namespaces.hpp"
#include "sys/error.hpp"

namespace berth::container {

// True when this process is in a user namespace other than the host's initial
// one (its uid_map is not the identity of the whole id range).
bool in_non_initial_user_namespace();

// --rootless auto: rootless when the effective uid is not 0, or when it is 0
// only inside a user namespace.
bool detect_rootless();

// The state root when --root is not given: $XDG_RUNTIME_DIR/berth when rootless
// and XDG_RUNTIME_DIR is set and not empty, else /run/berth (runc's rule; an
// unprivileged caller then needs --root or XDG_RUNTIME_DIR, and create says so).
std::string default_state_root(bool rootless, const char *xdg_runtime_dir);

// An unprivileged caller (effective uid not 0) can mount, map and set up
// nothing without a user namespace of the container's: refused up front, in
// one line, instead of a permission error from somewhere in the setup.
Result<void> check_user_namespace(const process::NamespacePlan &namespaces);

} // namespace berth::container
