// The parser's and validator's parts, one per section of the spec (internal
// to spec/). Parsing checks shape: JSON types, required members, integer
// ranges, and enumerations the model stores as enums. Validation then checks
// meaning on the parsed model, rebuilding each JSON pointer from the
// section's pointer and the (order-preserving) array indices.
#pragma once

#include <string>
#include <string_view>

#include "spec/config.hpp"
#include "spec/reader.hpp"
#include "sys/error.hpp"

namespace berth::spec::detail {

Result<Mount> parse_mount(const Node &node);
Result<Hooks> parse_hooks(const Node &node);
Result<IdMapping> parse_id_mapping(const Node &node);
Result<Process> parse_process_object(const Node &node);
// exec --process, for a container whose config.process is `container`: the
// members that confine the process (user, capabilities, rlimits,
// noNewPrivileges, apparmorProfile, selinuxLabel) that the file leaves out
// are the container's.
Result<Process> parse_exec_process_object(const Node &node, const Process &container);
Result<Linux> parse_linux(const Node &node);
Result<Resources> parse_resources_object(const Node &node);
Result<Seccomp> parse_seccomp(const Node &node);

// `pointer` is where the section sits in the document ("/process", or "" when
// the section is the whole document, as for exec --process).
Result<void> validate_config(const Config &config);
Result<void> validate_process(const Process &process, std::string_view pointer);
Result<void> validate_linux(const Linux &linux_, std::string_view pointer);
Result<void> validate_resources(const Resources &resources, std::string_view pointer);
Result<void> validate_seccomp(const Seccomp &seccomp, std::string_view pointer);

// "<pointer>/<key>" and "<pointer>/<index>".
inline std::string at(std::string_view pointer, std::string_view key) {
  return json::pointer_append(pointer, key);
}
inline std::string at(std::string_view pointer, std::size_t index) {
  return json::pointer_append(pointer, index);
}

// True when every character of `text` is in `allowed`.
inline bool only_chars(std::string_view text, std::string_view allowed) {
  return text.find_first_not_of(allowed) == std::string_view::npos;
}

} // namespace berth::spec::detail
