#include "byte_size.hpp"
#include "decimal_scale.hpp"

#include <cctype>
#include <charconv>
#include <limits>

namespace berth::cli {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// The multiplier of a unit prefix letter, or 0 when `c` is none.
std::uint64_t prefix_multiplier(char c) {
  constexpr std::string_view prefixes = "kmgtp";
  auto pos = prefixes.find(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (pos == std::string_view::npos)
    return 0;
  return std::uint64_t{1} << (10 * (pos + 1));
}

} // namespace

std::optional<std::int64_t> parse_byte_size(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && is_digit(text[i]))
    ++i;
  std::string_view whole = text.substr(0, i);
  std::string_view fraction;
  if (i < text.size() && text[i] == '.') {
    std::size_t start = ++i;
    while (i < text.size() && is_digit(text[i]))
      ++i;
    fraction = text.substr(start, i - start);
    // "1." and ".5" are not sizes: both sides of the point need digits.
    if (fraction.empty())
      return std::nullopt;
  }
  if (whole.empty())
    return std::nullopt;

  std::string_view unit = text.substr(i);
  // One space may separate the number from its unit, not end the text.
  if (unit.size() > 1 && unit.starts_with(' '))
    unit.remove_prefix(1);
  std::uint64_t multiplier = 1;
  if (!unit.empty() && prefix_multiplier(unit.front()) != 0) {
    multiplier = prefix_multiplier(unit.front());
    unit.remove_prefix(1);
    if (!unit.empty() && (unit.front() == 'i' || unit.front() == 'I'))
      unit.remove_prefix(1);
  }
  if (!unit.empty() && (unit.front() == 'b' || unit.front() == 'B'))
    unit.remove_prefix(1);
  if (!unit.empty())
    return std::nullopt;

  std::uint64_t units = 0;
  auto [end, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), units);
  if (ec != std::errc() || end != whole.data() + whole.size())
    return std::nullopt;
  // The largest multiplier, 2^50, is below 10^16.
  auto scaled = scale_decimal(units, fraction, multiplier);
  if (!scaled)
    return std::nullopt;
  std::uint64_t bytes = *scaled;
  if (bytes > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    return std::nullopt;
  return static_cast<std::int64_t>(bytes);
}

} // namespace berth::cli
