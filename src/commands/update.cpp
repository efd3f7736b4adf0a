#include <unistd.h>

#include <optional>
#include <string>

#include "../update_resources.hpp"
#include "commands.hpp"
#include "sys/syscalls.hpp"

namespace berth::cli {
namespace {

// A LinuxResources object is a few kilobytes; the bound only stops a wrong file.
constexpr std::size_t kMaxResourcesBytes = 4u << 20;

Result<std::string> read_resources(const std::string &file) {
  if (file == "-")
    return with_context(sys::read_fd(STDIN_FILENO, kMaxResourcesBytes),
                        "read resources from stdin");
  return sys::read_file(file, kMaxResourcesBytes);
}

} // namespace

Result<int> update_command(const Invocation &invocation) {
  std::optional<std::string> json;
  std::string source = invocation.resources_file == "-" ? "stdin" : invocation.resources_file;
  if (!invocation.resources_file.empty()) {
    BERTH_TRY_ASSIGN(json, read_resources(invocation.resources_file));
  }
  BERTH_TRY_ASSIGN(spec::Resources resources,
                   resources_to_update(json, source, invocation.resource_flags));
  BERTH_TRY(container::update(invocation.global.options, invocation.id, resources));
  return 0;
}

} // namespace berth::cli
