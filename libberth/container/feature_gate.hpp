// What this release of berth does not do yet. A config that asks for it fails
// before any side effect with a clear error naming the JSON path, instead of
// running a container that silently lacks what was asked for. Each later
// feature removes its line here.
#pragma once

#include <string>
#include <vector>

#include "container/container.hpp"
#include "spec/config.hpp"
#include "sys/error.hpp"

namespace berth::container {

// Fails on anything berth cannot honour; returns warnings for what it skips.
Result<std::vector<std::string>> check_supported(const spec::Config &config,
                                                 const CreateOptions &options);

} // namespace berth::container
