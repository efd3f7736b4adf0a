#include <cerrno>
#include <cstdio>

#include "commands.hpp"

namespace berth::cli {

Result<void> print(std::string_view text) {
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0)
    return fail_errno("write to stdout");
  return {};
}

} // namespace berth::cli
