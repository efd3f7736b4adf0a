#include "sys/mountinfo.hpp"
#include "sys/text.hpp"

#include <charconv>

#include "sys/syscalls.hpp"

namespace berth::sys {
namespace {

// The kernel writes space, tab, newline and backslash in paths as \ooo.
std::string unescape(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      auto octal = field.substr(i + 1, 3);
      if (octal.find_first_not_of("01234567") == std::string_view::npos) {
        out += static_cast<char>((octal[0] - '0') * 64 + (octal[1] - '0') * 8 + (octal[2] - '0'));
        i += 3;
        continue;
      }
    }
    out += field[i];
  }
  return out;
}

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  while (!line.empty()) {
    auto space = line.find(' ');
    auto field = line.substr(0, space);
    if (!field.empty())
      fields.push_back(field);
    if (space == std::string_view::npos)
      break;
    line.remove_prefix(space + 1);
  }
  return fields;
}

bool parse_int(std::string_view text, int &value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

} // namespace

bool MountInfo::shared() const {
  for (const auto &field : optional_fields)
    if (field.starts_with("shared:"))
      return true;
  return false;
}

bool MountInfo::unbindable() const {
  for (const auto &field : optional_fields)
    if (field == "unbindable")
      return true;
  return false;
}

Result<std::vector<MountInfo>> parse_mountinfo(std::string_view text) {
  std::vector<MountInfo> mounts;
  int line_number = 0;
  for (std::string_view line : sys::split_lines(text)) {
    ++line_number;
    if (line.empty())
      continue;
    auto fields = split_fields(line);
    // id parent major:minor root mount-point options [optional...] - fstype source super
    std::size_t separator = 6;
    while (separator < fields.size() && fields[separator] != "-")
      ++separator;
    MountInfo info;
    if (fields.size() < 6 || separator + 3 > fields.size() ||
        !parse_int(fields[0], info.mount_id) || !parse_int(fields[1], info.parent_id))
      return fail("mountinfo line " + std::to_string(line_number) + " is malformed", EINVAL);
    info.root = unescape(fields[3]);
    info.mount_point = unescape(fields[4]);
    info.mount_options = fields[5];
    for (std::size_t i = 6; i < separator; ++i)
      info.optional_fields.emplace_back(fields[i]);
    info.fstype = fields[separator + 1];
    info.source = unescape(fields[separator + 2]);
    if (separator + 3 < fields.size())
      info.super_options = fields[separator + 3];
    mounts.push_back(std::move(info));
  }
  return mounts;
}

Result<std::vector<MountInfo>> read_mountinfo() {
  BERTH_TRY_ASSIGN(auto text, sys::read_file("/proc/self/mountinfo"));
  return parse_mountinfo(text);
}

} // namespace berth::sys
