// Durations as Go's time.ParseDuration spells them, which runc's
// `events --interval` takes: "5s", "500ms", "1m30s", "1.5h", "-2s".
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace berth::cli {

// An optional sign, then one or more <number><unit> pairs; a number may have a
// fraction ("1.5s", ".5s", "1.s"); units are ns, us (or µs), ms, s, m, h. A bare
// "0" is zero. nullopt for anything else and for durations beyond int64
// nanoseconds.
std::optional<std::chrono::nanoseconds> parse_go_duration(std::string_view text);

} // namespace berth::cli
