#include <criterion/criterion.h>

#include <string>

#include "container/container.hpp"

using berth::container::validate_id;

Test(container_id, accepts_the_ids_engines_generate) {
  cr_assert(validate_id("c1").has_value());
  cr_assert(validate_id("0123456789abcdef0123456789abcdef").has_value());
  cr_assert(validate_id("my_container.v1+test-2").has_value());
  cr_assert(validate_id(std::string(255, 'a')).has_value());
}

Test(container_id, refuses_ids_that_are_not_a_plain_directory_name) {
  const char *bad[] = {"", ".", "..", "../x", "a/b", "/abs", "a b", "a\nb", "x..", "tab\t"};
  for (const char *id : bad) {
    auto result = validate_id(id);
    bool allowed_dots = std::string(id) == "x..";
    if (allowed_dots) {
      cr_assert(result.has_value(), "\"x..\" is a valid name: only \"..\" itself is special");
      continue;
    }
    cr_assert(!result.has_value(), "\"%s\" must be refused", id);
    cr_assert(result.error().message().starts_with("invalid container id"), "%s",
              result.error().message().c_str());
  }
}

Test(container_id, refuses_overlong_and_nul_ids) {
  cr_assert(!validate_id(std::string(256, 'a')).has_value());
  cr_assert(!validate_id(std::string(1000, 'a')).has_value());
  cr_assert(!validate_id(std::string("a\0b", 3)).has_value());
}
