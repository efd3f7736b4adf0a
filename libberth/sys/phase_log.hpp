// --debug: one line per phase of a command, with how long it took, so that a
// slow create (or one that hangs) shows where its time goes.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

#include "sys/log.hpp"

namespace berth::log {

// Logs "<name>: <phase> took <ms> ms" at debug level when it ends: at end()
// or when it goes out of scope, on an early error return too (the line then
// says how far the command got). Free when --debug is off.
class Phase {
public:
  Phase(std::string_view name, std::string_view phase) {
    if (!debug_enabled())
      return;
    active_ = true;
    what_.append(name).append(": ").append(phase);
    start_ = std::chrono::steady_clock::now();
  }
  Phase(const Phase &) = delete;
  Phase &operator=(const Phase &) = delete;
  ~Phase() { end(); }

  void end() {
    if (!active_)
      return;
    active_ = false;
    const std::chrono::duration<double, std::milli> took =
        std::chrono::steady_clock::now() - start_;
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.3f", took.count());
    debug(what_ + " took " + ms + " ms");
  }

private:
  bool active_ = false;
  std::string what_;
  std::chrono::steady_clock::time_point start_;
};

} // namespace berth::log
