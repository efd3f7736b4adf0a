#include <criterion/criterion.h>

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "fork_child.hpp"
#include "linux/process_setup.hpp"
#include "string_assert.hpp"
#include "sys/syscalls.hpp"

using namespace berth;

namespace {

spec::Config config_with(std::vector<spec::Namespace> namespaces) {
  spec::Config config;
  config.linux.emplace();
  config.linux->namespaces = std::move(namespaces);
  return config;
}

spec::Config all_namespaces() {
  return config_with({{spec::NamespaceType::Ipc, std::nullopt},
                      {spec::NamespaceType::Network, std::nullopt},
                      {spec::NamespaceType::Uts, std::nullopt},
                      {spec::NamespaceType::Mount, std::nullopt}});
}

std::string error_of(const spec::Config &config, std::string_view key) {
  auto checked = linux::check_sysctl(config, key);
  return checked ? std::string() : checked.error().message();
}

} // namespace

Test(sysctl, namespaced_keys_are_allowed_with_their_namespace) {
  auto config = all_namespaces();
  for (const char *key :
       {"net.ipv4.ip_forward", "net.core.somaxconn", "kernel.msgmax", "kernel.msgmnb",
        "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax", "kernel.shmmni",
        "kernel.shm_rmid_forced", "fs.mqueue.msg_max", "fs.mqueue.queues_max", "kernel.hostname",
        "kernel.domainname"})
    cr_assert(linux::check_sysctl(config, key).has_value(), "%s: %s", key,
              error_of(config, key).c_str());
}

Test(sysctl, host_wide_keys_are_refused) {
  auto config = all_namespaces();
  for (const char *key : {"kernel.panic", "vm.swappiness", "fs.file-max", "kernel.semx",
                          "kernel.core_pattern", "fs.mqueue", "netx.a"}) {
    std::string error = error_of(config, key);
    cr_assert(!error.empty(), "%s was allowed", key);
    cr_assert(error.starts_with("/linux/sysctl/" + std::string(key) + ": not a namespaced sysctl"),
              "%s", error.c_str());
  }
}

Test(sysctl, each_key_needs_its_own_namespace) {
  auto none = config_with({{spec::NamespaceType::Mount, std::nullopt}});
  BERTH_ASSERT_STR_EQ(error_of(none, "net.ipv4.ip_forward").c_str(),
                      "/linux/sysctl/net.ipv4.ip_forward: needs linux.namespaces to give "
                      "the container its own network namespace");
  BERTH_ASSERT_STR_EQ(
      error_of(none, "kernel.shmmax").c_str(),
      "/linux/sysctl/kernel.shmmax: needs linux.namespaces to give the container its "
      "own ipc namespace");
  BERTH_ASSERT_STR_EQ(
      error_of(none, "fs.mqueue.msg_max").c_str(),
      "/linux/sysctl/fs.mqueue.msg_max: needs linux.namespaces to give the container "
      "its own ipc namespace");
  BERTH_ASSERT_STR_EQ(error_of(none, "kernel.hostname").c_str(),
                      "/linux/sysctl/kernel.hostname: needs linux.namespaces to give the container "
                      "its own uts namespace");

  // The network namespace does not make ipc sysctls fine, nor the other way round.
  auto net_only = config_with({{spec::NamespaceType::Network, std::nullopt}});
  cr_assert(linux::check_sysctl(net_only, "net.ipv4.ip_forward").has_value());
  cr_assert(!linux::check_sysctl(net_only, "kernel.msgmax").has_value());
  auto ipc_only = config_with({{spec::NamespaceType::Ipc, std::nullopt}});
  cr_assert(!linux::check_sysctl(ipc_only, "net.ipv4.ip_forward").has_value());
  cr_assert(linux::check_sysctl(ipc_only, "kernel.msgmax").has_value());

  // No linux object at all: nothing is namespaced.
  spec::Config bare;
  cr_assert(!linux::check_sysctl(bare, "net.ipv4.ip_forward").has_value());
}

Test(sysctl, joined_namespace_counts) {
  auto joined = config_with({{spec::NamespaceType::Network, "/run/netns/pod"}});
  cr_assert(linux::check_sysctl(joined, "net.ipv4.ip_forward").has_value());
}

Test(sysctl, malformed_keys_are_refused) {
  auto config = all_namespaces();
  struct Case {
    const char *key;
    const char *error;
  };
  for (Case c : {
           Case{"", "/linux/sysctl/: the key is empty"},
           Case{"net/ipv4/ip_forward",
                "/linux/sysctl/net~1ipv4~1ip_forward: the key contains '/'; components are "
                "separated by '.'"},
           Case{"net.ipv4/../../kernel.panic",
                "/linux/sysctl/net.ipv4~1..~1..~1kernel.panic: the key contains '/'; components "
                "are separated by '.'"},
           Case{"net..ipv4", "/linux/sysctl/net..ipv4: the key has an empty component"},
           Case{"net.ipv4.", "/linux/sysctl/net.ipv4.: the key has an empty component"},
           Case{".net.ipv4", "/linux/sysctl/.net.ipv4: the key has an empty component"},
           Case{"net.", "/linux/sysctl/net.: the key has an empty component"},
       })
    BERTH_ASSERT_STR_EQ(error_of(config, c.key).c_str(), c.error);
  std::string with_nul("net.ipv4\0.x", 11);
  cr_assert(!linux::check_sysctl(config, with_nul).has_value());
}

Test(sysctl, validate_refuses_the_runtimes_own_namespace) {
  auto host = config_with({{spec::NamespaceType::Network, "/proc/self/ns/net"}});
  host.linux->sysctl = {{"net.ipv4.ip_forward", "1"}};
  auto validated = linux::validate_sysctl(host);
  cr_assert(!validated.has_value());
  cr_assert(validated.error().message().find("is the runtime's own") != std::string::npos, "%s",
            validated.error().message().c_str());

  // The same key with a new namespace is fine (for a joined one of another
  // process, see validate_accepts_another_process_namespace).
  auto fresh = config_with({{spec::NamespaceType::Network, std::nullopt}});
  fresh.linux->sysctl = {{"net.ipv4.ip_forward", "1"}};
  cr_assert(linux::validate_sysctl(fresh).has_value());

  auto bad = all_namespaces();
  bad.linux->sysctl = {{"kernel.panic", "1"}};
  cr_assert(!linux::validate_sysctl(bad).has_value());
}

Test(sysctl, apply_checks_every_key_before_writing) {
  // A refused key fails the whole apply before /proc/sys is touched; a key that
  // would be written first in map order must not be.
  auto config = all_namespaces();
  config.linux->sysctl = {{"kernel.panic", "1"},
                          {"fs.mqueue.msg_max", "not-a-number-so-a-write-would-fail"}};
  auto applied = linux::apply_sysctl(config);
  cr_assert(!applied.has_value());
  cr_assert(applied.error().message().starts_with("/linux/sysctl/kernel.panic"), "%s",
            applied.error().message().c_str());
}

// Net and ipc sysctls under /proc/sys belong to the namespaces of the process
// that opens them, so a child with namespaces of its own can write them for real.
Test(sysctl, apply_writes_in_the_callers_namespaces) {
  std::string report = test::run_in_child([] {
    if (::unshare(CLONE_NEWNET | CLONE_NEWIPC) < 0)
      return std::string("ERR unshare");
    auto config = all_namespaces();
    config.linux->sysctl = {{"net.ipv4.ip_forward", "1"}, {"kernel.shmmni", "1234"}};
    auto applied = linux::apply_sysctl(config);
    if (!applied)
      return "ERR " + applied.error().message();
    auto forward = sys::read_file("/proc/sys/net/ipv4/ip_forward");
    auto shmmni = sys::read_file("/proc/sys/kernel/shmmni");
    return (forward ? *forward : "?") + (shmmni ? *shmmni : "?");
  });
  BERTH_ASSERT_STR_EQ(report.c_str(), "1\n1234\n");
}

Test(sysctl, apply_names_the_key_of_a_failed_write) {
  std::string report = test::run_in_child([] {
    if (::unshare(CLONE_NEWNET) < 0)
      return std::string("ERR unshare");
    auto config = all_namespaces();
    config.linux->sysctl = {{"net.ipv4.no_such_setting", "1"}};
    auto applied = linux::apply_sysctl(config);
    return applied ? std::string("OK") : "ERR " + applied.error().message();
  });
  BERTH_ASSERT_STR_EQ(report.c_str(),
                      "ERR sysctl net.ipv4.no_such_setting: open "
                      "/proc/sys/net/ipv4/no_such_setting: No such file or directory");
}

Test(sysctl, validate_accepts_another_process_namespace) {
  // A child holds a network namespace of its own until the hold pipe closes.
  int ready[2], hold[2];
  cr_assert_eq(::pipe2(ready, O_CLOEXEC), 0);
  cr_assert_eq(::pipe2(hold, O_CLOEXEC), 0);
  pid_t pid = ::fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    ::close(hold[1]); // so that the parent's close is the end of file
    char byte = ::unshare(CLONE_NEWNET) == 0 ? 'y' : 'n';
    (void)::write(ready[1], &byte, 1);
    (void)::read(hold[0], &byte, 1);
    ::_exit(0);
  }
  char byte = 0;
  bool unshared = ::read(ready[0], &byte, 1) == 1 && byte == 'y';
  auto other =
      config_with({{spec::NamespaceType::Network, "/proc/" + std::to_string(pid) + "/ns/net"}});
  other.linux->sysctl = {{"net.ipv4.ip_forward", "1"}};
  auto validated = linux::validate_sysctl(other);
  // Release the child before any assertion can end the test.
  ::close(hold[1]);
  ::waitpid(pid, nullptr, 0);
  cr_assert(unshared);
  cr_assert(validated.has_value(), "%s", validated ? "" : validated.error().message().c_str());
}
