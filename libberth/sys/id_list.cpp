#include "sys/id_list.hpp"

#include <algorithm>
#include <charconv>

namespace berth::sys {
namespace {

std::optional<unsigned> parse_id(std::string_view text) {
  unsigned id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || id > kMaxListedId)
    return std::nullopt;
  return id;
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
    auto low = parse_id(item.substr(0, dash));
    auto high = dash == std::string_view::npos ? low : parse_id(item.substr(dash + 1));
    if (!low || !high || *low > *high)
      return std::nullopt;
    for (unsigned id = *low; id <= *high; ++id)
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
