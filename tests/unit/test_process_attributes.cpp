// The CPU/node list syntax, the scheduling tables, and each attribute applied
// to a forked child and read back from the kernel.
#include <criterion/criterion.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "fork_child.hpp"
#include "linux/process_attributes.hpp"
#include "sys/id_list.hpp"
#include "tables/process_scheduling.hpp"

using namespace berth;

namespace {

std::string ids(std::string_view text) {
  auto parsed = sys::parse_id_list(text);
  if (!parsed)
    return "invalid";
  std::string out;
  for (unsigned id : *parsed) {
    if (!out.empty())
      out += ' ';
    out += std::to_string(id);
  }
  return out;
}

} // namespace

Test(id_list, numbers_ranges_and_repeats) {
  cr_assert(ids("0") == "0");
  cr_assert(ids("0-3,7") == "0 1 2 3 7");
  cr_assert(ids("7,0-1,1") == "0 1 7", "sorted, without repeats");
  cr_assert(ids("3-3") == "3");
  cr_assert(ids("010") == "10");
  cr_assert(ids("65535") == "65535");
}

Test(id_list, malformed_lists_are_refused) {
  for (const char *bad : {"", ",", "0,", ",0", "3-1", "a", "0-", "-1", "0 1", "0--2", "1-2-3",
                          "65536", "0-4294967295", "+1"})
    cr_assert(ids(bad) == "invalid", "\"%s\" was accepted", bad);
}

Test(process_tables, kernel_values) {
  cr_assert_eq(tables::find_named(tables::kSchedulerPolicies, "SCHED_FIFO")->value,
               static_cast<std::uint64_t>(SCHED_FIFO));
  cr_assert_eq(tables::find_named(tables::kSchedulerPolicies, "SCHED_IDLE")->value,
               static_cast<std::uint64_t>(SCHED_IDLE));
  cr_assert_eq(tables::find_named(tables::kSchedulerPolicies, "SCHED_BATCH")->value,
               static_cast<std::uint64_t>(SCHED_BATCH));
  cr_assert_eq(tables::find_named(tables::kSchedulerFlags, "SCHED_FLAG_RESET_ON_FORK")->value, 1U);
  cr_assert_eq(tables::find_named(tables::kPersonalityDomains, "LINUX32")->value,
               static_cast<std::uint64_t>(PER_LINUX32));
  cr_assert_eq(tables::find_named(tables::kIoPriorityClasses, "IOPRIO_CLASS_IDLE")->value, 3U);
  cr_assert_eq(tables::find_named(tables::kMemoryPolicyModes, "MPOL_BIND")->value, 2U);
  cr_assert_null(tables::find_named(tables::kSchedulerPolicies, "SCHED_NORMAL"),
                 "the spec spells it SCHED_OTHER");
}

Test(process_attributes, io_priority_reads_back) {
  std::string report = test::run_in_child([] {
    auto applied = linux::apply_io_priority({.io_class = "IOPRIO_CLASS_BE", .priority = 6});
    if (!applied)
      return applied.error().message();
    long value = ::syscall(SYS_ioprio_get, 1, 0);
    return std::to_string(value >> 13) + "/" + std::to_string(value & 0xff);
  });
  cr_assert_str_eq(report.c_str(), "2/6");
}

Test(process_attributes, scheduler_reads_back) {
  std::string report = test::run_in_child([] {
    auto applied = linux::apply_scheduler({.policy = "SCHED_BATCH", .nice = 7});
    if (!applied)
      return applied.error().message();
    return std::to_string(::sched_getscheduler(0)) + "/" + std::to_string(::nice(0));
  });
  std::string expected = std::to_string(SCHED_BATCH) + "/7";
  cr_assert_str_eq(report.c_str(), expected.c_str());
}

Test(process_attributes, scheduler_error_names_the_field_and_errno) {
  std::string report = test::run_in_child([] {
    // SCHED_FIFO needs a priority of 1 to 99: 0 is the kernel's EINVAL.
    auto applied = linux::apply_scheduler({.policy = "SCHED_FIFO"});
    return applied ? std::string("applied") : applied.error().message();
  });
  cr_assert(report.starts_with("process.scheduler: sched_setattr SCHED_FIFO"), "%s",
            report.c_str());
  cr_assert(report.ends_with("Invalid argument"), "%s", report.c_str());
}

Test(process_attributes, cpu_list_reads_back) {
  std::string report = test::run_in_child([] {
    auto applied = linux::apply_cpu_list("0", "process.execCPUAffinity.final");
    if (!applied)
      return applied.error().message();
    cpu_set_t set;
    CPU_ZERO(&set);
    ::sched_getaffinity(0, sizeof set, &set);
    return std::to_string(CPU_COUNT(&set)) + (CPU_ISSET(0, &set) ? " cpu0" : "");
  });
  cr_assert_str_eq(report.c_str(), "1 cpu0");
}

Test(process_attributes, cpu_list_of_absent_cpus_fails) {
  std::string report = test::run_in_child([] {
    auto applied = linux::apply_cpu_list("4000", "process.execCPUAffinity.final");
    return applied ? std::string("applied") : applied.error().message();
  });
  cr_assert(report.starts_with("process.execCPUAffinity.final: sched_setaffinity to CPUs 4000"),
            "%s", report.c_str());
}

Test(process_attributes, personality_reads_back) {
  std::string report = test::run_in_child([] {
    auto applied = linux::apply_personality({.domain = "LINUX32", .flags = {}});
    if (!applied)
      return applied.error().message();
    return std::to_string(::personality(0xffffffff) & PER_MASK);
  });
  std::string expected = std::to_string(PER_LINUX32);
  cr_assert_str_eq(report.c_str(), expected.c_str());
}

Test(process_attributes, memory_policy_reads_back) {
  std::string report = test::run_in_child([] {
    auto applied = linux::apply_memory_policy({.mode = "MPOL_BIND", .nodes = "0", .flags = {}});
    if (!applied)
      return applied.error().message();
    int mode = -1;
    unsigned long mask[16] = {};
    if (::syscall(SYS_get_mempolicy, &mode, mask, sizeof mask * 8, nullptr, 0UL) < 0)
      return std::string("get_mempolicy failed");
    return std::to_string(mode) + "/" + std::to_string(mask[0]);
  });
  cr_assert_str_eq(report.c_str(), "2/1");
}

Test(process_attributes, memory_policy_error_names_the_field) {
  std::string report = test::run_in_child([] {
    // MPOL_DEFAULT takes no nodes.
    auto applied = linux::apply_memory_policy({.mode = "MPOL_DEFAULT", .nodes = "0", .flags = {}});
    return applied ? std::string("applied") : applied.error().message();
  });
  cr_assert_str_eq(report.c_str(),
                   "linux.memoryPolicy: set_mempolicy MPOL_DEFAULT nodes \"0\": Invalid argument");
}
