#include "sys/id_list.hpp"

#include <algorithm>
#include <charconv>

namespace berth::sys {
namespace {

// Out-parameter rather than std::optional: with -Os, g++ compares the values
// of two optionals before it knows both are engaged (harmless, but valgrind's
// memcheck then sees a jump on an uninitialised value in CI).
bool parse_id(std::string_view text, unsigned &id) {
  id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size() &&
         id <= kMaxListedId;
}

} // namespace

std::optional<std::vector<unsigned>> parse_id_list(std::string_view text) {
  if (text.empty())
    return std::nullopt;
  std::vector<unsigned> ids;
  for (;;) {
    auto comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    auto dash = item.find('-');
    unsigned low = 0, high = 0;
    if (!parse_id(item.substr(0, dash), low))
      return std::nullopt;
    if (dash == std::string_view::npos)
      high = low;
    else if (!parse_id(item.substr(dash + 1), high))
      return std::nullopt;
    if (low > high)
      return std::nullopt;
    for (unsigned id = low; id <= high; ++id)
      ids.push_back(id);
    if (comma == std::string_view::npos)
      break;
    text.remove_prefix(comma + 1);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

} // namespace berth::sys
