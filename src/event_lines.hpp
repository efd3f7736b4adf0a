// The lines `events` prints, in runc's envelope: {"type":..,"id":..,"data":..}.
#pragma once

#include <string>
#include <string_view>

namespace berth::cli {

// {"type":"stats","id":"<id>","data":<stats_json>}, the data inserted as it is.
std::string stats_event_line(std::string_view id, std::string_view stats_json);
// {"type":"oom","id":"<id>"}
std::string oom_event_line(std::string_view id);

} // namespace berth::cli
