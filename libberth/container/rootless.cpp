#include "container/rootless.hpp"

#include <sched.h>
#include <unistd.h>

#include "sys/syscalls.hpp"
#include "sys/text.hpp"

namespace berth::container {

bool in_non_initial_user_namespace() {
  auto map = sys::read_file("/proc/self/uid_map", 64 * 1024);
  if (!map)
    return false; // no /proc: nothing says otherwise
  // The initial namespace maps every id to itself in one line.
  auto lines = sys::split_lines(*map);
  if (lines.size() != 1)
    return true;
  std::string line;
  for (char c : lines[0])
    if (c != ' ' || (!line.empty() && line.back() != ' '))
      line += c;
  return line != "0 0 4294967295";
}

bool detect_rootless() {
  return ::geteuid() != 0 || in_non_initial_user_namespace();
}

std::string default_state_root(bool rootless, const char *xdg_runtime_dir) {
  if (rootless && xdg_runtime_dir && *xdg_runtime_dir)
    return std::string(xdg_runtime_dir) + "/berth";
  return "/run/berth";
}

Result<void> check_user_namespace(const process::NamespacePlan &namespaces) {
  if (::geteuid() == 0 || namespaces.creates(CLONE_NEWUSER) || namespaces.joins(CLONE_NEWUSER))
    return {};
  return fail("config.json: /linux/namespaces: berth run by uid " + std::to_string(::geteuid()) +
              " (rootless) needs a user namespace for the container (berth spec --rootless "
              "writes such a config)");
}

} // namespace berth::container
