// config.json -> spec::Config. Every error names the JSON pointer of the value at
// fault: "config.json: /process/args: expected an array of strings".
#pragma once

#include <string>
#include <string_view>

#include "spec/config.hpp"
#include "sys/error.hpp"
#include "json/value.hpp"

namespace berth::spec {

// Parses and validates a whole config. `source` prefixes errors ("config.json").
Result<Config> parse_config(std::string_view text, std::string_view source = "config.json");

// Reads <bundle>/config.json and parses it.
Result<Config> load_config(const std::string &bundle_dir);

// A single Process object and LinuxResources (update --resources), for the
// commands that take them on their own.
Result<Process> parse_process(std::string_view text, std::string_view source);
// The Process of exec --process, for a container whose config.process is
// `container`: of what confines a process (user, capabilities, rlimits,
// noNewPrivileges, apparmorProfile, selinuxLabel), what the file leaves out
// is the container's, never berth's own.
Result<Process> parse_exec_process(std::string_view text, std::string_view source,
                                   const Process &container);
// Reads and parses the Process file `path` for exec --process; errors name
// the file as given: "process.json: /args: expected an array of strings".
Result<Process> load_exec_process(const std::string &path, const Process &container);
Result<Resources> parse_resources(std::string_view text, std::string_view source);
// Docker, and runc which it was written against, write 0 for a limit that is
// not set: blockIO weight and leafWeight, cpu shares, quota, period and the
// realtime pair, memory limit, reservation, swap, kernel and kernelTCP, pids
// limit. This clears those (as absent) so nothing reads them as values: the
// kernel would take cpu.shares 0 as 2 and refuse cpu.cfs_period_us 0. Both
// parsers apply it, and update to its flags. burst, idle and swappiness are
// left alone: runc takes their 0 as a value.
void clear_zero_limits(Resources &resources);
// A Hooks object already parsed as JSON (the hooks create recorded in the
// container's state, for start and delete); errors are prefixed with `source`.
Result<Hooks> parse_hooks(const json::Value &value, std::string_view source);

} // namespace berth::spec
