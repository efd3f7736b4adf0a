#include "ps_output.hpp"
#include "sys/text.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <vector>

namespace berth::cli {
namespace {

std::optional<int> parse_pid(std::string_view text) {
  int pid = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
  if (ec != std::errc() || end != text.data() + text.size())
    return std::nullopt;
  return pid;
}

} // namespace

std::string pids_json(std::span<const int> pids) {
  std::string out = "[";
  for (std::size_t i = 0; i < pids.size(); ++i) {
    if (i > 0)
      out += ',';
    out += std::to_string(pids[i]);
  }
  out += "]\n";
  return out;
}

Result<std::string> filter_ps_table(std::string_view ps_output, std::span<const int> pids) {
  std::size_t header_end = ps_output.find('\n');
  std::string_view header = ps_output.substr(0, header_end);
  std::vector<std::string_view> columns = sys::split_words(header);
  auto pid_column = std::find(columns.begin(), columns.end(), "PID");
  if (pid_column == columns.end())
    return fail("ps output has no PID column (its options must keep one)");
  auto pid_index = static_cast<std::size_t>(pid_column - columns.begin());

  std::string out(header);
  out += '\n';
  std::string_view rest =
      header_end == std::string_view::npos ? std::string_view() : ps_output.substr(header_end + 1);
  for (std::string_view line : sys::split_lines(rest)) {
    std::vector<std::string_view> fields = sys::split_words(line);
    if (fields.empty())
      continue;
    std::optional<int> pid =
        pid_index < fields.size() ? parse_pid(fields[pid_index]) : std::nullopt;
    if (!pid)
      return fail("cannot read a pid in this ps output line: " + std::string(line));
    if (std::find(pids.begin(), pids.end(), *pid) != pids.end()) {
      out += line;
      out += '\n';
    }
  }
  return out;
}

} // namespace berth::cli
