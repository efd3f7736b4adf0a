// What `update` asks the container to change: the LinuxResources object of
// --resources, with runc's individual flags laid over it.
#pragma once

#include <optional>
#include <string_view>

#include "spec/config.hpp"
#include "sys/error.hpp"

namespace berth::cli {

// Whether `resources` sets anything at all (an object present but empty, such
// as "memory": {}, sets nothing).
bool sets_anything(const spec::Resources &resources);

// Every field that `flags` sets replaces the same field of `base`.
void overlay_resources(spec::Resources &base, const spec::Resources &flags);

// Parses `json` (when given; `source` names it in errors) and overlays `flags`;
// a limit of 0, in either, is one not given (spec::clear_zero_limits). Refuses
// a command line with neither: "update: nothing to update".
Result<spec::Resources> resources_to_update(std::optional<std::string_view> json,
                                            std::string_view source, const spec::Resources &flags);

} // namespace berth::cli
