// Container ids become directory names under --root, so they must never be able
// to name anything else ("..", "a/b") or be unbounded.
#include "container/container.hpp"

namespace berth::container {

Result<void> validate_id(std::string_view id) {
  // A directory name: NAME_MAX (255) bytes at most, or create would fail at
  // mkdir with a message that does not say the id is the problem.
  constexpr std::size_t kMaxIdLength = 255;
  if (id.empty())
    return fail("invalid container id: empty");
  if (id.size() > kMaxIdLength)
    return fail("invalid container id: longer than " + std::to_string(kMaxIdLength) +
                " characters");
  if (id == "." || id == "..")
    return fail("invalid container id \"" + std::string(id) + "\"");
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '+' || c == '-' || c == '.';
    if (!ok)
      return fail("invalid container id \"" + std::string(id) +
                  "\": only letters, digits and _+-. are allowed");
  }
  return {};
}

} // namespace berth::container
