// "1.5" of a unit worth N: the arithmetic shared by memory sizes ("1.5g") and
// Go durations ("1.5s"), exact for the whole part and overflow-checked.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace berth::cli {

// whole.fraction * unit, where fraction holds only decimal digits; nullopt on
// overflow. Digits past the 18th cannot change the result for units below 10^16.
inline std::optional<std::uint64_t> scale_decimal(std::uint64_t whole, std::string_view fraction,
                                                  std::uint64_t unit) {
  std::uint64_t result = 0;
  if (__builtin_mul_overflow(whole, unit, &result))
    return std::nullopt;
  if (fraction.empty())
    return result;
  long double digits = 0;
  long double scale = 1;
  for (char digit : fraction.substr(0, 18)) {
    digits = digits * 10 + (digit - '0');
    scale *= 10;
  }
  auto extra = static_cast<std::uint64_t>(digits * static_cast<long double>(unit) / scale);
  if (__builtin_add_overflow(result, extra, &result))
    return std::nullopt;
  return result;
}

} // namespace berth::cli
