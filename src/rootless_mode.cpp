#include "rootless_mode.hpp"

#include <cstdlib>

#include "container/rootless.hpp"

namespace berth::cli {

void resolve_rootless(GlobalArgs &global) {
  switch (global.rootless) {
  case Rootless::True:
    global.options.rootless = true;
    break;
  case Rootless::False:
    global.options.rootless = false;
    break;
  case Rootless::Auto:
    global.options.rootless = container::detect_rootless();
    break;
  }
  if (!global.root_given)
    global.options.root =
        container::default_state_root(global.options.rootless, std::getenv("XDG_RUNTIME_DIR"));
}

} // namespace berth::cli
