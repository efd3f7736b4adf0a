#include <criterion/criterion.h>
#include <sched.h>
#include <unistd.h>

#include <string>

#include "container/container.hpp"
#include "container/rootless.hpp"
#include "fork_child.hpp"

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

// The state root's default (rootless.hpp): runc's rule. (Compared as
// std::string: Criterion's str_eq keeps pointers past the temporaries.)
Test(rootless, state_root_default) {
  using berth::container::default_state_root;
  cr_assert(default_state_root(false, nullptr) == "/run/berth");
  cr_assert(default_state_root(false, "/run/user/1000") == "/run/berth",
            "root ignores XDG_RUNTIME_DIR");
  cr_assert(default_state_root(true, "/run/user/1000") == "/run/user/1000/berth");
  cr_assert(default_state_root(true, "") == "/run/berth");
  cr_assert(default_state_root(true, nullptr) == "/run/berth");
}

// --rootless auto: root of the host is not rootless; root of a user namespace
// of its own (uid_map "0 <uid> 1") is.
Test(rootless, auto_detects_a_user_namespace) {
  cr_assert(!berth::container::in_non_initial_user_namespace(), "the test runs in the host's");
  if (::geteuid() == 0)
    cr_assert(!berth::container::detect_rootless());
  std::string report = berth::test::run_in_child([] {
    uid_t uid = ::geteuid();
    if (::unshare(CLONE_NEWUSER) < 0)
      return std::string("ERR unshare");
    std::string map = "0 " + std::to_string(uid) + " 1\n";
    int fd = ::open("/proc/self/uid_map", O_WRONLY);
    if (fd < 0 || ::write(fd, map.data(), map.size()) < 0)
      return std::string("ERR uid_map");
    ::close(fd);
    return std::string(berth::container::in_non_initial_user_namespace() ? "in" : "out") +
           (berth::container::detect_rootless() ? " rootless" : " root");
  });
  cr_assert(report == "in rootless", "%s", report.c_str());
}
