// Splitting text as procfs, cgroupfs and command-line tools print it.
#pragma once

#include <string_view>
#include <vector>

namespace berth::sys {

// The lines of `text` without their '\n'; a last line without one counts too,
// empty lines are kept (callers skip them when they mean nothing).
inline std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    auto newline = text.find('\n');
    lines.push_back(text.substr(0, newline));
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
  }
  return lines;
}

// The words of a line, separated by runs of spaces or tabs.
inline std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  while (!line.empty()) {
    auto start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos)
      break;
    line.remove_prefix(start);
    auto end = line.find_first_of(" \t");
    words.push_back(line.substr(0, end));
    line.remove_prefix(end == std::string_view::npos ? line.size() : end);
  }
  return words;
}

} // namespace berth::sys
