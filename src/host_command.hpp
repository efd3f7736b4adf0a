// Running a program of the host (found on PATH) and reading what it prints.
#pragma once

#include <span>
#include <string>

#include "sys/error.hpp"

namespace berth::cli {

// Runs argv[0] with fork + execvp and returns its standard output; standard
// input and error stay berth's. A program that cannot be started, is killed, or
// exits non-zero is an error.
Result<std::string> capture_stdout(std::span<const std::string> argv);

} // namespace berth::cli
