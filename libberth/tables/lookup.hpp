// Linear lookup over the small constexpr tables in this folder. Each table has
// tens of entries at most, and a lookup happens a handful of times per
// container, so a scan beats a hash in both code size and start-up time.
#pragma once

#include <string_view>

namespace berth::tables {

template <class Table>
constexpr auto find_by_name(const Table &table, std::string_view name) -> decltype(&table[0]) {
  for (const auto &entry : table)
    if (entry.name == name)
      return &entry;
  return nullptr;
}

} // namespace berth::tables
