#include "sys/log.hpp"

namespace berth::log {
namespace {
Sink g_sink = nullptr;
bool g_debug = false;
} // namespace

void set_sink(Sink sink) {
  g_sink = sink;
}
void set_debug(bool enabled) {
  g_debug = enabled;
}
bool debug_enabled() {
  return g_debug;
}

void emit(Level level, std::string_view message) {
  if (g_sink)
    g_sink(level, message);
}

} // namespace berth::log
