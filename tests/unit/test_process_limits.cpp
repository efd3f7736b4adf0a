// apply_rlimits, apply_oom_score_adj and apply_hostname, each in a forked child
// (the machine runs the tests as root).
#include <criterion/criterion.h>

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <string>

#include "fork_child.hpp"
#include "linux/process_setup.hpp"
#include "string_assert.hpp"
#include "sys/syscalls.hpp"

using namespace berth;
using test::run_in_child;

namespace {

std::string limits_of(int resource) {
  struct rlimit value {};
  ::getrlimit(static_cast<__rlimit_resource_t>(resource), &value);
  return std::to_string(value.rlim_cur) + "/" + std::to_string(value.rlim_max);
}

std::string apply_rlimits_in_child(const std::vector<spec::Rlimit> &rlimits) {
  return run_in_child([&] {
    auto applied = linux::apply_rlimits(rlimits);
    if (!applied)
      return "ERR " + applied.error().message();
    return "NOFILE\t" + limits_of(RLIMIT_NOFILE) + "\nCORE\t" + limits_of(RLIMIT_CORE) +
           "\nNPROC\t" + limits_of(RLIMIT_NPROC) + "\n";
  });
}

spec::Config uts_config(bool with_uts_namespace) {
  spec::Config config;
  config.linux.emplace();
  if (with_uts_namespace)
    config.linux->namespaces.push_back({spec::NamespaceType::Uts, std::nullopt});
  config.hostname = "berth-test-host";
  config.domainname = "berth.example";
  return config;
}

} // namespace

// Lowering only: raising a hard limit needs CAP_SYS_RESOURCE, which the test
// machine's root may lack.
Test(rlimits, applies_soft_and_hard) {
  std::string report = apply_rlimits_in_child({
      {"RLIMIT_NOFILE", 512, 1024},
      {"RLIMIT_CORE", 0, 0},
      {"RLIMIT_NPROC", 4096, 8192},
  });
  cr_assert(!report.starts_with("ERR"), "%s", report.c_str());
  BERTH_ASSERT_STR_EQ(test::field(report, "NOFILE").c_str(), "512/1024");
  BERTH_ASSERT_STR_EQ(test::field(report, "CORE").c_str(), "0/0");
  BERTH_ASSERT_STR_EQ(test::field(report, "NPROC"), "4096/8192");
}

Test(rlimits, errors_name_the_resource) {
  BERTH_ASSERT_STR_EQ(apply_rlimits_in_child({{"RLIMIT_BOGUS", 1, 1}}).c_str(),
                      "ERR setrlimit RLIMIT_BOGUS: unknown resource: Invalid argument");
  BERTH_ASSERT_STR_EQ(apply_rlimits_in_child({{"RLIMIT_NOFILE", 2048, 1024}}).c_str(),
                      "ERR setrlimit RLIMIT_NOFILE: Invalid argument");
}

Test(oom_score_adj, writes_proc_self) {
  std::string report = run_in_child([] {
    auto applied = linux::apply_oom_score_adj(500);
    if (!applied)
      return "ERR " + applied.error().message();
    auto text = sys::read_file("/proc/self/oom_score_adj");
    return text ? *text : std::string("ERR read");
  });
  BERTH_ASSERT_STR_EQ(report.c_str(), "500\n");
}

Test(oom_score_adj, out_of_range_is_an_error) {
  std::string report = run_in_child([] {
    auto applied = linux::apply_oom_score_adj(5000);
    return applied ? std::string("OK") : "ERR " + applied.error().message();
  });
  BERTH_ASSERT_STR_EQ(report.c_str(), "ERR write /proc/self/oom_score_adj: Invalid argument");
}

Test(hostname, sets_both_names_in_a_new_uts_namespace) {
  std::string report = run_in_child([] {
    if (::unshare(CLONE_NEWUTS) < 0)
      return std::string("ERR unshare");
    auto applied = linux::apply_hostname(uts_config(true));
    if (!applied)
      return "ERR " + applied.error().message();
    char host[256] = {}, domain[256] = {};
    ::gethostname(host, sizeof host - 1);
    ::getdomainname(domain, sizeof domain - 1);
    return std::string(host) + " " + domain;
  });
  BERTH_ASSERT_STR_EQ(report.c_str(), "berth-test-host berth.example");
}

Test(hostname, refused_without_a_uts_namespace) {
  auto applied = linux::apply_hostname(uts_config(false));
  cr_assert(!applied.has_value());
  BERTH_ASSERT_STR_EQ(applied.error().message().c_str(),
                      "/hostname: needs linux.namespaces to give the container its own uts "
                      "namespace, or it would change the host's");
}

Test(hostname, absent_or_empty_names_are_left_alone) {
  spec::Config config; // no linux object: would be refused if anything were set
  cr_assert(linux::apply_hostname(config).has_value());
  config.hostname = "";
  cr_assert(linux::apply_hostname(config).has_value());
}
