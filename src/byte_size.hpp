// Memory sizes as runc's update flags take them: "1048576", "512k", "1.5G",
// "64MiB", "2 gb".
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace berth::cli {

// A non-negative number, optionally with a fraction, then optionally (after one
// space) a unit prefix k, m, g, t or p (powers of 1024, any case), an 'i' after the
// prefix and a final 'b'. Fractions of a byte are dropped. nullopt for anything
// else, negative numbers included, and for sizes beyond int64.
std::optional<std::int64_t> parse_byte_size(std::string_view text);

} // namespace berth::cli
