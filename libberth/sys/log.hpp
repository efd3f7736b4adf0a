// Diagnostics from libberth. The library never prints: it hands messages to a
// sink that the CLI installs (stderr text, or --log FILE as text or JSON).
#pragma once

#include <string_view>

namespace berth::log {

enum class Level { Debug, Info, Warn, Error };

using Sink = void (*)(Level level, std::string_view message);

// Installs the sink; with none installed, messages are dropped.
void set_sink(Sink sink);
void set_debug(bool enabled);
bool debug_enabled();

void emit(Level level, std::string_view message);
inline void debug(std::string_view message) {
  if (debug_enabled())
    emit(Level::Debug, message);
}
inline void info(std::string_view message) {
  emit(Level::Info, message);
}
inline void warn(std::string_view message) {
  emit(Level::Warn, message);
}
inline void error(std::string_view message) {
  emit(Level::Error, message);
}

} // namespace berth::log
