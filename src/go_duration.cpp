#include "go_duration.hpp"
#include "decimal_scale.hpp"

#include <array>
#include <cstdint>

namespace berth::cli {
namespace {

struct DurationUnit {
  std::string_view name;
  std::int64_t nanoseconds;
};

// Longest names first where one is a prefix of another ("ms" before "m").
constexpr std::array kUnits = {
    DurationUnit{"ns", 1},
    DurationUnit{"us", 1'000},
    DurationUnit{"\u00b5s", 1'000}, // micro sign
    DurationUnit{"\u03bcs", 1'000}, // Greek small letter mu
    DurationUnit{"ms", 1'000'000},
    DurationUnit{"s", 1'000'000'000},
    DurationUnit{"m", 60'000'000'000},
    DurationUnit{"h", 3'600'000'000'000},
};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Reads "<digits>[.<digits>]" from the front of `text`; false when neither side
// of the point has a digit or the whole part overflows.
bool take_number(std::string_view &text, std::uint64_t &whole, std::string_view &fraction) {
  std::size_t i = 0;
  whole = 0;
  for (; i < text.size() && is_digit(text[i]); ++i)
    if (__builtin_mul_overflow(whole, 10u, &whole) ||
        __builtin_add_overflow(whole, static_cast<unsigned>(text[i] - '0'), &whole))
      return false;
  bool has_whole = i > 0;
  fraction = {};
  if (i < text.size() && text[i] == '.') {
    std::size_t start = ++i;
    while (i < text.size() && is_digit(text[i]))
      ++i;
    fraction = text.substr(start, i - start);
  }
  text.remove_prefix(i);
  return has_whole || !fraction.empty();
}

const DurationUnit *take_unit(std::string_view &text) {
  for (const DurationUnit &unit : kUnits)
    if (text.starts_with(unit.name)) {
      text.remove_prefix(unit.name.size());
      return &unit;
    }
  return nullptr;
}

} // namespace

std::optional<std::chrono::nanoseconds> parse_go_duration(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text == "0")
    return std::chrono::nanoseconds(0);
  if (text.empty())
    return std::nullopt;

  // Summed as unsigned so that -9223372036854775808ns, whose magnitude is one
  // more than the largest positive duration, still fits.
  constexpr std::uint64_t kLimit = std::uint64_t{1} << 63;
  std::uint64_t total = 0;
  while (!text.empty()) {
    std::uint64_t whole = 0;
    std::string_view fraction;
    if (!take_number(text, whole, fraction))
      return std::nullopt;
    const DurationUnit *unit = take_unit(text);
    if (!unit)
      return std::nullopt;
    // A unit is at most an hour, 3.6e12 ns: well below 10^16.
    auto scaled = scale_decimal(whole, fraction, static_cast<std::uint64_t>(unit->nanoseconds));
    if (!scaled)
      return std::nullopt;
    std::uint64_t part = *scaled;
    if (__builtin_add_overflow(total, part, &total) || total > kLimit)
      return std::nullopt;
  }
  // Unsigned negation wraps and C++20 converts the result to its two's
  // complement value: exactly -total, 2^63 included.
  if (negative)
    return std::chrono::nanoseconds(static_cast<std::int64_t>(-total));
  if (total == kLimit)
    return std::nullopt;
  return std::chrono::nanoseconds(static_cast<std::int64_t>(total));
}

} // namespace berth::cli
