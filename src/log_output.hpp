// Where berth's messages go. Warnings and errors always reach stderr as one
// line ("berth: warning: ..."); with --log FILE every message is also appended
// to FILE, as logrus-style text or, with --log-format json, one JSON object a
// line, which is what containerd's shim and conmon read the last error from.
#pragma once

#include <ctime>

#include <string>
#include <string_view>

#include "args.hpp"
#include "sys/error.hpp"
#include "sys/log.hpp"

namespace berth::cli {

// Installs the stderr-only sink; usable before the command line is parsed.
void install_stderr_logging();

// Opens the --log file, when there is one, and routes messages there too;
// applies --debug. A file that cannot be opened is an error naming it, and
// stderr stays the only destination.
Result<void> install_logging(const GlobalArgs &global);

// One line of the --log file, newline included.
std::string format_log_line(LogFormat format, log::Level level, std::string_view message,
                            const timespec &when);

// "2026-11-22T11:30:00.123456789Z": RFC 3339 in UTC with nanoseconds.
std::string format_timestamp(const timespec &when);

} // namespace berth::cli
