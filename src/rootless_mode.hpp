// --rootless and the state root's default, settled once the command line is
// parsed (they depend on the environment and /proc, which the parser does not
// read).
#pragma once

#include "args.hpp"

namespace berth::cli {

// Resolves --rootless auto into global.options.rootless and, without --root,
// sets the default state root (container/rootless.hpp).
void resolve_rootless(GlobalArgs &global);

} // namespace berth::cli
