// What `ps` prints: the container's pids as JSON, or the host ps(1) table cut
// down to the container's processes.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "sys/error.hpp"

namespace berth::cli {

// "[1234,1235]\n"; "[]\n" when there are none (runc documents an array).
std::string pids_json(std::span<const int> pids);

// Keeps the header line of ps(1)'s output and the lines whose PID column holds
// one of `pids`. The column is the header field named "PID"; output without
// one, or a line whose field there is not a number, is an error, since the
// table could not be filtered safely.
Result<std::string> filter_ps_table(std::string_view ps_output, std::span<const int> pids);

} // namespace berth::cli
