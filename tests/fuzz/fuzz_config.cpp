// libFuzzer target: bytes -> config.json parser and validation (spec/), and the
// JSON layer under it (json/).
//
// Besides "no crash, no sanitizer report", it checks what callers rely on:
// every refusal carries a message, and a parsed document survives a
// serialize -> parse round trip unchanged (state.json and `berth spec` are
// written by serialize and read back by parse).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "spec/parser.hpp"
#include "json/value.hpp"

namespace {

[[noreturn]] void violated(const char *what, std::string_view detail) {
  std::fprintf(stderr, "fuzz_config: %s: %.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

template <class T> void expect_message(const berth::Result<T> &result, const char *entry) {
  if (!result && result.error().what().empty())
    violated(entry, "failed without a message");
}

void check_round_trip(std::string_view text) {
  auto document = berth::json::parse(text);
  expect_message(document, "json::parse");
  if (!document)
    return;
  std::string compact = berth::json::serialize(*document);
  auto again = berth::json::parse(compact);
  if (!again)
    violated("serialize output does not parse", again.error().message());
  if (berth::json::serialize(*again) != compact)
    violated("serialize -> parse -> serialize changed the text", compact);
  auto indented = berth::json::parse(berth::json::serialize_indented(*document));
  if (!indented || berth::json::serialize(*indented) != compact)
    violated("serialize_indented does not read back as the same document", compact);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char *>(data), size);
  check_round_trip(text);
  // The three documents berth reads: config.json (create, run), a process
  // (exec --process, alone and over a container's process) and resources
  // (update --resources).
  expect_message(berth::spec::parse_config(text), "parse_config");
  expect_message(berth::spec::parse_process(text, "process.json"), "parse_process");
  static const berth::spec::Process container = [] {
    berth::spec::Process process;
    process.capabilities = berth::spec::Capabilities{.bounding = {"CAP_KILL"}};
    process.rlimits = {{.type = "RLIMIT_NOFILE", .soft = 1024, .hard = 1024}};
    return process;
  }();
  expect_message(berth::spec::parse_exec_process(text, "process.json", container),
                 "parse_exec_process");
  expect_message(berth::spec::parse_resources(text, "resources.json"), "parse_resources");
  return 0;
}
