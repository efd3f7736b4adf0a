// config.md "POSIX-platform Hooks".
#include "spec/sections.hpp"

namespace berth::spec::detail {
namespace {

Result<Hook> parse_hook(const Node &node) {
  BERTH_TRY(expect_object(node));
  Hook hook;
  BERTH_TRY(read_required(node, "path", hook.path));
  BERTH_TRY(read_or_default(node, "args", hook.args));
  BERTH_TRY(read_or_default(node, "env", hook.env));
  BERTH_TRY(read_optional(node, "timeout", hook.timeout));
  return hook;
}

} // namespace

Result<Hooks> parse_hooks(const Node &node) {
  BERTH_TRY(expect_object(node));
  Hooks hooks;
  BERTH_TRY(read_array(node, "prestart", hooks.prestart, parse_hook));
  BERTH_TRY(read_array(node, "createRuntime", hooks.create_runtime, parse_hook));
  BERTH_TRY(read_array(node, "createContainer", hooks.create_container, parse_hook));
  BERTH_TRY(read_array(node, "startContainer", hooks.start_container, parse_hook));
  BERTH_TRY(read_array(node, "poststart", hooks.poststart, parse_hook));
  BERTH_TRY(read_array(node, "poststop", hooks.poststop, parse_hook));
  return hooks;
}

} // namespace berth::spec::detail
