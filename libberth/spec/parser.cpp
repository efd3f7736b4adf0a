// The parser's entry points and the top level of config.json.
#include "spec/parser.hpp"

#include "spec/sections.hpp"
#include "sys/syscalls.hpp"

namespace berth::spec {
namespace {

using detail::Node;

// config.json is small (kilobytes); the cap only stops a hostile bundle from
// making berth read an unbounded file into memory.
constexpr std::size_t kMaxConfigBytes = 64u << 20;

Result<Root> parse_root(const Node &node) {
  BERTH_TRY(detail::expect_object(node));
  Root root;
  BERTH_TRY(detail::read_required(node, "path", root.path));
  BERTH_TRY(detail::read_or_default(node, "readonly", root.readonly));
  return root;
}

Result<Config> parse_config_object(const Node &node) {
  BERTH_TRY(detail::expect_object(node));
  Config config;
  BERTH_TRY(detail::read_required(node, "ociVersion", config.oci_version));
  BERTH_TRY(detail::read_required_object(node, "root", config.root, parse_root));
  BERTH_TRY(detail::read_array(node, "mounts", config.mounts, detail::parse_mount));
  BERTH_TRY(detail::read_object(node, "process", config.process, detail::parse_process_object));
  BERTH_TRY(detail::read_optional(node, "hostname", config.hostname));
  BERTH_TRY(detail::read_optional(node, "domainname", config.domainname));
  // An empty name means "leave it alone", not "clear it".
  detail::drop_empty(config.hostname);
  detail::drop_empty(config.domainname);
  BERTH_TRY(detail::read_object(node, "hooks", config.hooks, detail::parse_hooks));
  BERTH_TRY(detail::read_or_default(node, "annotations", config.annotations));
  BERTH_TRY(detail::read_object(node, "linux", config.linux, detail::parse_linux));
  return config;
}

// Parses `text` as JSON and hands the root to `parse`; every error gets the
// source as its prefix.
template <class T, class Parse>
Result<T> parse_document(std::string_view text, std::string_view source, Parse parse) {
  auto document = json::parse(text);
  if (!document) {
    document.error().context(source);
    return fail(std::move(document.error()));
  }
  return with_context(parse(Node(*document, "")), source);
}

} // namespace

Result<Config> parse_config(std::string_view text, std::string_view source) {
  return parse_document<Config>(text, source, [](const Node &root) -> Result<Config> {
    BERTH_TRY_ASSIGN(Config config, parse_config_object(root));
    BERTH_TRY(detail::validate_config(config));
    return config;
  });
}

Result<Config> load_config(const std::string &bundle_dir) {
  std::string path = bundle_dir;
  if (!path.empty() && !path.ends_with('/'))
    path += '/';
  path += "config.json";
  auto text = sys::read_file(path, kMaxConfigBytes);
  if (!text) {
    text.error().context("config.json");
    return fail(std::move(text.error()));
  }
  return parse_config(*text, "config.json");
}

Result<Process> parse_process(std::string_view text, std::string_view source) {
  return parse_document<Process>(text, source, [](const Node &root) -> Result<Process> {
    BERTH_TRY_ASSIGN(Process process, detail::parse_process_object(root));
    BERTH_TRY(detail::validate_process(process, ""));
    return process;
  });
}

Result<Process> parse_exec_process(std::string_view text, std::string_view source,
                                   const Process &container) {
  return parse_document<Process>(text, source, [&](const Node &root) -> Result<Process> {
    BERTH_TRY_ASSIGN(Process process, detail::parse_exec_process_object(root, container));
    BERTH_TRY(detail::validate_process(process, ""));
    return process;
  });
}

Result<Process> load_exec_process(const std::string &path, const Process &container) {
  auto text = sys::read_file(path, kMaxConfigBytes);
  if (!text) {
    text.error().context(path);
    return fail(std::move(text.error()));
  }
  return parse_exec_process(*text, path, container);
}

Result<Resources> parse_resources(std::string_view text, std::string_view source) {
  return parse_document<Resources>(text, source, [](const Node &root) -> Result<Resources> {
    BERTH_TRY_ASSIGN(Resources resources, detail::parse_resources_object(root));
    BERTH_TRY(detail::validate_resources(resources, ""));
    return resources;
  });
}

Result<Hooks> parse_hooks(const json::Value &value, std::string_view source) {
  return with_context(detail::parse_hooks(Node(value, "")), source);
}

} // namespace berth::spec
