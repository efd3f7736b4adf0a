// What this release of berth does not do yet. A config that asks for it fails
// before any side effect with a clear error naming the JSON path, instead of
// running a container that silently lacks what was asked for. Each later
// feature removes its line here.
#pragma once

#include <string>
#include <vector>

#include "container/container.hpp"
#include "spec/config.hpp"
#include "sys/error.hpp"

namespace berth::container {

// Fails on anything berth cannot honour; returns warnings for what it skips.
Result<std::vector<std::string>> check_supported(const spec::Config &config,
                                                 const CreateOptions &options);

// runc's rules for process.terminal and --console-socket (its
// docs/terminals.md): a detached container (create, run -d) has no berth left
// to drive its terminal, so the master must go to --console-socket, which is
// then required; a foreground run drives the terminal itself unless given one.
// A console socket without a terminal would never receive anything: refused.
Result<void> check_terminal(const spec::Process &process, const CreateOptions &options,
                            bool foreground);

} // namespace berth::container
