#include "sys/fault_injection.hpp"

#include <signal.h>

#include <cstdlib>

#include "berth_config.h"

namespace berth::sys {

void fault_point(std::string_view stage) {
#if BERTH_FAULT_INJECTION
  // Read each time: create reaches only a handful of stages, and a cached value
  // would need care around the init's copy of berth.
  const char *wanted = std::getenv("BERTH_TEST_KILL_AT");
  if (wanted && stage == wanted)
    ::raise(SIGKILL);
#else
  (void)stage;
#endif
}

} // namespace berth::sys
