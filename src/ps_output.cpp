#include "ps_output.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <vector>

namespace berth::cli {
namespace {

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < line.size()) {
    std::size_t start = line.find_first_not_of(" \t", i);
    if (start == std::string_view::npos)
      break;
    std::size_t end = line.find_first_of(" \t", start);
    if (end == std::string_view::npos)
      end = line.size();
    fields.push_back(line.substr(start, end - start));
    i = end;
  }
  return fields;
}

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
  std::vector<std::string_view> columns = split_fields(header);
  auto pid_column = std::find(columns.begin(), columns.end(), "PID");
  if (pid_column == columns.end())
    return fail("ps output has no PID column (its options must keep one)");
  auto pid_index = static_cast<std::size_t>(pid_column - columns.begin());

  std::string out(header);
  out += '\n';
  std::string_view rest =
      header_end == std::string_view::npos ? std::string_view() : ps_output.substr(header_end + 1);
  while (!rest.empty()) {
    std::size_t line_end = rest.find('\n');
    std::string_view line = rest.substr(0, line_end);
    rest = line_end == std::string_view::npos ? std::string_view() : rest.substr(line_end + 1);
    std::vector<std::string_view> fields = split_fields(line);
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
