// What the cgroup subcommands compute before and after calling the library:
// the resources `update` sends, and the output of `ps` and `events`.
#include <criterion/criterion.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "event_lines.hpp"
#include "ps_output.hpp"
#include "update_resources.hpp"

using namespace berth;
using namespace berth::cli;

namespace {

std::string error_of(const Result<spec::Resources> &result) {
  cr_assert(!result.has_value(), "expected an error");
  return result.error().message();
}

void assert_text(const std::string &actual, std::string_view expected) {
  cr_assert(actual == expected, "got \"%s\", expected \"%s\"", actual.c_str(),
            std::string(expected).c_str());
}

spec::Resources memory_limit_flag(std::int64_t limit) {
  spec::Resources flags;
  flags.memory.emplace().limit = limit;
  return flags;
}

} // namespace

Test(cli_update, nothing_to_update) {
  spec::Resources none;
  assert_text(error_of(resources_to_update(std::nullopt, "", none)), "update: nothing to update");
}

// containerd's shim sends a whole document for every `docker update`, with 0
// for what is not set (`docker update --restart` changes no limit at all):
// runc takes it, changing nothing.
Test(cli_update, a_document_that_changes_nothing) {
  spec::Resources none;
  for (const char *doc :
       {"{}", R"({"memory":{},"cpu":{},"blockIO":{}})",
        R"({"memory":{"limit":0,"reservation":0,"swap":0,"kernel":0,"kernelTCP":0},)"
        R"("cpu":{"shares":0,"quota":0,"period":0,"realtimeRuntime":0,"realtimePeriod":0},)"
        R"("pids":{"limit":0},"blockIO":{"weight":0,"leafWeight":0}})"}) {
    auto r = resources_to_update(doc, "stdin", none);
    cr_assert(r.has_value(), "%s: %s", doc, r ? "" : r.error().message().c_str());
    cr_assert(!sets_anything(*r), "%s", doc);
  }
}

// Docker's update: the memory changes, the rest is 0.
Test(cli_update, zero_limits_in_the_document_are_not_set) {
  auto r = resources_to_update(
      R"({"memory":{"limit":1048576,"swap":0,"reservation":0},"cpu":{"shares":0,"period":0,"quota":0},"blockIO":{"weight":0},"pids":{"limit":0}})",
      "stdin", {});
  cr_assert(r.has_value(), "%s", r ? "" : r.error().message().c_str());
  cr_assert_eq(*r->memory->limit, 1048576);
  cr_assert(!r->memory->swap && !r->memory->reservation);
  cr_assert(!r->cpu->shares && !r->cpu->period && !r->cpu->quota);
  cr_assert(!r->block_io->weight);
  cr_assert(!r->pids_limit);
}

Test(cli_update, zero_flags_are_not_set) {
  spec::Resources flags = memory_limit_flag(0);
  flags.cpu.emplace().shares = 0;
  flags.cpu->period = 0;
  flags.pids_limit = 0;
  flags.block_io.emplace().weight = 0;
  auto r = resources_to_update(std::nullopt, "", flags);
  cr_assert(r.has_value(), "a flag was given: %s", r ? "" : r.error().message().c_str());
  cr_assert(!sets_anything(*r));
  auto over =
      resources_to_update(R"({"memory":{"limit":4096},"cpu":{"shares":512}})", "r.json", flags);
  cr_assert(over.has_value());
  cr_assert_eq(*over->memory->limit, 4096, "a flag of 0 replaces nothing");
  cr_assert_eq(*over->cpu->shares, 512u);
}

Test(cli_update, json_alone) {
  auto r = resources_to_update(R"({"memory":{"limit":1048576},"pids":{"limit":10}})", "r.json",
                               spec::Resources{});
  cr_assert(r.has_value(), "%s", r ? "" : r.error().message().c_str());
  cr_assert_eq(*r->memory->limit, 1048576);
  cr_assert_eq(*r->pids_limit, 10);
  cr_assert(!r->memory->swap);
  cr_assert(!r->cpu);
}

Test(cli_update, json_errors_name_the_source) {
  std::string bad_type = error_of(resources_to_update(R"({"memory":{"limit":"x"}})", "stdin", {}));
  cr_assert(bad_type.starts_with("stdin: /memory/limit"), "%s", bad_type.c_str());
  std::string not_json = error_of(resources_to_update("{", "/tmp/r.json", {}));
  cr_assert(not_json.starts_with("/tmp/r.json"), "%s", not_json.c_str());
}

Test(cli_update, flags_alone) {
  auto r = resources_to_update(std::nullopt, "", memory_limit_flag(-1));
  cr_assert(r.has_value());
  cr_assert_eq(*r->memory->limit, -1);
}

Test(cli_update, flags_override_and_fill_the_json) {
  spec::Resources flags = memory_limit_flag(2048);
  auto &cpu = flags.cpu.emplace();
  cpu.shares = 512;
  cpu.cpus = "0-1";
  flags.pids_limit = 99;
  flags.block_io.emplace().weight = 300;
  auto r = resources_to_update(
      R"({"memory":{"limit":1024,"swap":4096},"cpu":{"quota":5000,"shares":2},"blockIO":{"leafWeight":20}})",
      "r.json", flags);
  cr_assert(r.has_value(), "%s", r ? "" : r.error().message().c_str());
  cr_assert_eq(*r->memory->limit, 2048, "the flag wins");
  cr_assert_eq(*r->memory->swap, 4096, "what the flags leave alone stays");
  cr_assert_eq(*r->cpu->shares, 512u);
  cr_assert_eq(*r->cpu->quota, 5000);
  cr_assert_str_eq(r->cpu->cpus->c_str(), "0-1");
  cr_assert_eq(*r->pids_limit, 99);
  cr_assert_eq(*r->block_io->weight, 300);
  cr_assert_eq(*r->block_io->leaf_weight, 20);
}

Test(cli_update, overlay_every_flag_field) {
  spec::Resources flags;
  auto &memory = flags.memory.emplace();
  memory.limit = 1;
  memory.reservation = 2;
  memory.swap = 3;
  auto &cpu = flags.cpu.emplace();
  cpu.shares = 4;
  cpu.quota = 5;
  cpu.burst = 6;
  cpu.period = 7;
  cpu.realtime_period = 8;
  cpu.realtime_runtime = 9;
  cpu.cpus = "0";
  cpu.mems = "1";
  spec::Resources base;
  overlay_resources(base, flags);
  cr_assert_eq(*base.memory->limit, 1);
  cr_assert_eq(*base.memory->reservation, 2);
  cr_assert_eq(*base.memory->swap, 3);
  cr_assert_eq(*base.cpu->shares, 4u);
  cr_assert_eq(*base.cpu->quota, 5);
  cr_assert_eq(*base.cpu->burst, 6u);
  cr_assert_eq(*base.cpu->period, 7u);
  cr_assert_eq(*base.cpu->realtime_period, 8u);
  cr_assert_eq(*base.cpu->realtime_runtime, 9);
  cr_assert_str_eq(base.cpu->cpus->c_str(), "0");
  cr_assert_str_eq(base.cpu->mems->c_str(), "1");
  cr_assert(!base.block_io && !base.pids_limit);
}

Test(cli_update, sets_anything) {
  spec::Resources r;
  cr_assert(!sets_anything(r));
  r.memory.emplace();
  cr_assert(!sets_anything(r), "an empty memory object changes nothing");
  r.memory->disable_oom_killer = false;
  cr_assert(sets_anything(r), "false is a value");
  spec::Resources unified;
  unified.unified["memory.high"] = "max";
  cr_assert(sets_anything(unified));
  spec::Resources devices;
  devices.devices.emplace_back();
  cr_assert(sets_anything(devices));
  spec::Resources io;
  io.block_io.emplace().throttle_read_bps_device.emplace_back();
  cr_assert(sets_anything(io));
}

// ---- ps ----

Test(cli_ps, pids_json) {
  assert_text(pids_json(std::vector<int>{1234, 1235}), "[1234,1235]\n");
  assert_text(pids_json(std::vector<int>{7}), "[7]\n");
  assert_text(pids_json(std::vector<int>{}), "[]\n");
}

Test(cli_ps, table_keeps_the_header_and_the_container_lines) {
  std::string_view output = "UID          PID    PPID  C STIME TTY          TIME CMD\n"
                            "root           1       0  0 10:00 ?        00:00:01 /sbin/init\n"
                            "root        4242       1  0 10:01 ?        00:00:00 sleep 100\n"
                            "root        4243    4242  0 10:01 ?        00:00:00 sh -c x y\n"
                            "\n"
                            "user       14242       1  0 10:02 pts/0    00:00:00 bash\n";
  std::vector<int> pids = {4242, 4243};
  auto table = filter_ps_table(output, pids);
  cr_assert(table.has_value(), "%s", table ? "" : table.error().message().c_str());
  assert_text(*table, "UID          PID    PPID  C STIME TTY          TIME CMD\n"
                      "root        4242       1  0 10:01 ?        00:00:00 sleep 100\n"
                      "root        4243    4242  0 10:01 ?        00:00:00 sh -c x y\n");
}

Test(cli_ps, pid_column_found_from_the_header) {
  std::string_view output = "  PID TTY      STAT   TIME COMMAND\n"
                            "    1 ?        Ss     0:01 /sbin/init\n"
                            "   77 ?        S      0:00 sleep 5";
  std::vector<int> pids = {77};
  auto table = filter_ps_table(output, pids);
  cr_assert(table.has_value());
  assert_text(*table, "  PID TTY      STAT   TIME COMMAND\n"
                      "   77 ?        S      0:00 sleep 5\n");
  // PPID is not PID.
  auto by_pid = filter_ps_table("PPID PID CMD\n77 1 init\n1 77 sleep\n", pids);
  cr_assert(by_pid.has_value());
  assert_text(*by_pid, "PPID PID CMD\n1 77 sleep\n");
}

Test(cli_ps, none_of_the_container_shows_only_the_header) {
  std::vector<int> none;
  auto table = filter_ps_table("PID CMD\n1 init\n", none);
  cr_assert(table.has_value());
  assert_text(*table, "PID CMD\n");
  auto empty = filter_ps_table("PID CMD\n", none);
  cr_assert(empty.has_value());
  assert_text(*empty, "PID CMD\n");
}

Test(cli_ps, output_that_cannot_be_filtered_is_an_error) {
  std::vector<int> pids = {1};
  auto no_column = filter_ps_table("UID CMD\nroot init\n", pids);
  cr_assert(!no_column.has_value());
  cr_assert(no_column.error().message().starts_with("ps output has no PID column"));
  auto empty = filter_ps_table("", pids);
  cr_assert(!empty.has_value());
  auto bad_line = filter_ps_table("CMD PID\ninit\n", pids);
  cr_assert(!bad_line.has_value());
  cr_assert(bad_line.error().message().find("init") != std::string::npos);
  cr_assert(!filter_ps_table("PID CMD\nx init\n", pids).has_value());
}

// ---- events ----

Test(cli_events, envelopes) {
  assert_text(stats_event_line("c1", R"({"pids":{"current":3}})"),
              "{\"type\":\"stats\",\"id\":\"c1\",\"data\":{\"pids\":{\"current\":3}}}\n");
  assert_text(oom_event_line("c1"), "{\"type\":\"oom\",\"id\":\"c1\"}\n");
  assert_text(oom_event_line("a\"b"), "{\"type\":\"oom\",\"id\":\"a\\\"b\"}\n");
}
