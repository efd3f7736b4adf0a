#include "features/features.hpp"
#include "commands.hpp"
#include "json/value.hpp"

namespace berth::cli {

Result<int> features_command(const Invocation &) {
  auto document = features::document(features::probe_host());
  BERTH_TRY(print(json::serialize_indented(document)));
  return 0;
}

} // namespace berth::cli
