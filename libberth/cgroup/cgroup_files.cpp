#include "cgroup/cgroup_files.hpp"
#include "sys/text.hpp"

#include <dirent.h>
#include <fcntl.h>

#include <charconv>
#include <limits>
#include <memory>

#include "sys/syscalls.hpp"

namespace berth::cgroup {
namespace {

std::string_view trim(std::string_view text) {
  auto begin = text.find_first_not_of(" \t\n");
  if (begin == std::string_view::npos)
    return {};
  auto end = text.find_last_not_of(" \t\n");
  return text.substr(begin, end - begin + 1);
}

std::string in(std::string_view file, const std::string &dir) {
  return std::string(file) + " in " + dir;
}

struct DirClose {
  void operator()(DIR *dir) const { ::closedir(dir); }
};

// A cgroup tree is shallow in practice; the bound keeps a hostile or broken
// tree from recursing without end.
constexpr int kMaxDepth = 64;

Result<void> collect_procs(const std::string &dir, int depth, std::vector<pid_t> &pids) {
  if (depth > kMaxDepth)
    return fail("cgroup tree below " + dir + " is deeper than " + std::to_string(kMaxDepth), ELOOP);
  auto own = read_cgroup_procs(dir);
  if (!own) {
    if (own.error().errno_value() == ENOENT && depth > 0)
      return {};
    return fail(std::move(own).error());
  }
  pids.insert(pids.end(), own->begin(), own->end());
  auto children = list_cgroup_dir(dir, true);
  if (!children) {
    if (children.error().errno_value() == ENOENT && depth > 0)
      return {};
    return fail(std::move(children).error());
  }
  for (const auto &child : *children)
    BERTH_TRY(collect_procs(dir + "/" + child, depth + 1, pids));
  return {};
}

} // namespace

Result<void> write_cgroup_file(const std::string &dir, std::string_view file,
                               std::string_view value) {
  std::string path = dir + "/" + std::string(file);
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return fail_errno("write " + in(file, dir));
  UniqueFd owned(fd);
  auto written = sys::write_all(fd, value);
  if (!written)
    return fail(Error::from_errno("write " + in(file, dir), written.error().errno_value()));
  return {};
}

Result<std::string> read_cgroup_file(const std::string &dir, std::string_view file) {
  std::string path = dir + "/" + std::string(file);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail_errno("read " + in(file, dir));
  UniqueFd owned(fd);
  auto text = sys::read_fd(fd, 16u << 20);
  if (!text)
    return fail(Error::from_errno("read " + in(file, dir), text.error().errno_value()));
  return text;
}

Result<std::optional<std::string>> read_cgroup_value(const std::string &dir,
                                                     std::string_view file) {
  auto text = read_cgroup_file(dir, file);
  if (!text) {
    if (text.error().errno_value() == ENOENT)
      return std::optional<std::string>();
    return fail(std::move(text).error());
  }
  return std::optional<std::string>(trim(*text));
}

std::optional<std::uint64_t> parse_cgroup_number(std::string_view text) {
  text = trim(text);
  if (text == "max")
    return std::numeric_limits<std::uint64_t>::max();
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

std::map<std::string, std::uint64_t> parse_flat_keyed(std::string_view text) {
  std::map<std::string, std::uint64_t> values;
  for (std::string_view line : sys::split_lines(text)) {
    auto space = line.find(' ');
    if (space == std::string_view::npos)
      continue;
    if (auto value = parse_cgroup_number(line.substr(space + 1)))
      values[std::string(line.substr(0, space))] = *value;
  }
  return values;
}

Result<std::vector<std::string>> list_cgroup_dir(const std::string &dir, bool directories) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return fail_errno("list " + dir);
  std::unique_ptr<DIR, DirClose> stream(::fdopendir(fd));
  if (!stream) {
    ::close(fd);
    return fail_errno("list " + dir);
  }
  std::vector<std::string> names;
  errno = 0;
  while (auto *entry = ::readdir(stream.get())) {
    std::string_view name = entry->d_name;
    if (name == "." || name == "..")
      continue;
    // cgroupfs and kernfs fill in d_type.
    if ((entry->d_type == DT_DIR) == directories)
      names.emplace_back(name);
  }
  if (errno != 0)
    return fail_errno("list " + dir);
  return names;
}

Result<std::vector<pid_t>> read_cgroup_procs(const std::string &dir) {
  BERTH_TRY_ASSIGN(auto text, read_cgroup_file(dir, "cgroup.procs"));
  std::vector<pid_t> pids;
  for (std::string_view raw : sys::split_lines(text)) {
    auto line = trim(raw);
    pid_t pid = 0;
    auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), pid);
    if (ec == std::errc() && end == line.data() + line.size() && pid > 0)
      pids.push_back(pid);
  }
  return pids;
}

Result<std::vector<pid_t>> read_cgroup_procs_recursive(const std::string &dir) {
  std::vector<pid_t> pids;
  BERTH_TRY(collect_procs(dir, 0, pids));
  return pids;
}

} // namespace berth::cgroup
