// HOME for the container's process when its config sets none: the user's
// home in the container's /etc/passwd, as runc sets it.
#include <fcntl.h>
#include <sys/stat.h>

#include <charconv>
#include <cstdint>
#include <optional>

#include "linux/process_setup.hpp"
#include "sys/path_resolve.hpp"
#include "sys/syscalls.hpp"

namespace berth::linux {
namespace {

// A passwd file is a few kilobytes; the bound only stops a hostile image.
constexpr std::size_t kMaxPasswdBytes = 4u << 20;

// The n-th colon-separated field of `line` (0-based), or nullopt.
std::optional<std::string_view> field(std::string_view line, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    auto colon = line.find(':');
    if (colon == std::string_view::npos)
      return std::nullopt;
    line.remove_prefix(colon + 1);
  }
  return line.substr(0, line.find(':'));
}

// The container's /etc/passwd, opened inside its root by fd (no symlink
// leaves it, no magic link is followed) and read only when it is a regular
// file: an image's /etc/passwd may be a fifo, a device or a link to one.
std::optional<std::string> read_container_passwd() {
  int root_fd = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0)
    return std::nullopt;
  UniqueFd root(root_fd);
  auto file = sys::open_in_root(root.get(), "/etc/passwd", O_RDONLY | O_NONBLOCK | O_NOCTTY);
  if (!file)
    return std::nullopt;
  struct stat st {};
  if (::fstat(file->get(), &st) < 0 || !S_ISREG(st.st_mode))
    return std::nullopt;
  auto text = sys::read_fd(file->get(), kMaxPasswdBytes);
  if (!text)
    return std::nullopt;
  return std::move(*text);
}

} // namespace

std::string home_in_passwd(std::string_view passwd, std::uint32_t uid) {
  while (!passwd.empty()) {
    auto end = passwd.find('\n');
    std::string_view line = passwd.substr(0, end);
    passwd.remove_prefix(end == std::string_view::npos ? passwd.size() : end + 1);
    auto uid_field = field(line, 2);
    auto home = field(line, 5);
    if (!uid_field || !home || uid_field->empty())
      continue;
    std::uint32_t entry_uid = 0;
    auto [ptr, ec] =
        std::from_chars(uid_field->data(), uid_field->data() + uid_field->size(), entry_uid);
    if (ec != std::errc() || ptr != uid_field->data() + uid_field->size() || entry_uid != uid)
      continue;
    return home->empty() ? std::string("/") : std::string(*home);
  }
  return "/";
}

std::vector<std::string> environment_with_home(const spec::Process &process) {
  std::vector<std::string> env = process.env;
  // The last HOME= wins, as for runc, which sets the entries in order.
  std::optional<std::size_t> last;
  for (std::size_t i = 0; i < env.size(); ++i)
    if (env[i].starts_with("HOME="))
      last = i;
  if (last && env[*last].size() > 5)
    return env;
  auto passwd = read_container_passwd();
  std::string home = "HOME=" + (passwd ? home_in_passwd(*passwd, process.user.uid) : "/");
  if (last)
    env[*last] = std::move(home);
  else
    env.push_back(std::move(home));
  return env;
}

} // namespace berth::linux
