// Helpers for the config parser tests: a minimal valid config, and edits of it
// at a JSON pointer, so each test states only what it changes.
#pragma once

#include <criterion/criterion.h>

#include <string>
#include <string_view>
#include <vector>

#include "spec/parser.hpp"
#include "json/value.hpp"

namespace spec_test {

using namespace berth;

// The smallest config that passes validation.
inline constexpr std::string_view kMinimalConfig = R"({
  "ociVersion": "1.2.0",
  "root": {"path": "rootfs"},
  "process": {
    "user": {"uid": 0, "gid": 0},
    "args": ["/bin/sh"],
    "cwd": "/"
  }
})";

inline json::Value parse_json(std::string_view text) {
  auto value = json::parse(text);
  cr_assert(value.has_value(), "test JSON does not parse: %s", std::string(text).c_str());
  return std::move(*value);
}

inline std::vector<std::string> split_pointer(std::string_view pointer) {
  std::vector<std::string> keys;
  while (!pointer.empty()) {
    pointer.remove_prefix(1); // the '/'
    auto slash = pointer.find('/');
    keys.emplace_back(pointer.substr(0, slash));
    pointer = slash == std::string_view::npos ? std::string_view() : pointer.substr(slash);
  }
  return keys;
}

// The value at `keys` inside `root`, creating objects on the way.
inline json::Value &walk(json::Value &root, const std::vector<std::string> &keys,
                         std::size_t count) {
  json::Value *node = &root;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string &key = keys[i];
    if (node->is_array()) {
      node = &node->items().at(std::stoul(key));
    } else {
      const json::Value *found = node->find(key);
      node = found ? const_cast<json::Value *>(found) : &node->set(key, json::Value::object());
    }
  }
  return *node;
}

// `base` with the value at `pointer` replaced by (or set to) `json_text`.
inline std::string with(std::string_view base, std::string_view pointer,
                        std::string_view json_text) {
  json::Value root = parse_json(base);
  auto keys = split_pointer(pointer);
  json::Value &parent = walk(root, keys, keys.size() - 1);
  json::Value value = parse_json(json_text);
  if (parent.is_array()) {
    auto index = std::stoul(keys.back());
    if (index == parent.items().size())
      parent.push_back(std::move(value));
    else
      parent.items().at(index) = std::move(value);
  } else {
    parent.set(keys.back(), std::move(value));
  }
  return json::serialize(root);
}

inline std::string with(std::string_view pointer, std::string_view json_text) {
  return with(kMinimalConfig, pointer, json_text);
}

// `base` without the member at `pointer`.
inline std::string without(std::string_view base, std::string_view pointer) {
  json::Value root = parse_json(base);
  auto keys = split_pointer(pointer);
  json::Value &parent = walk(root, keys, keys.size() - 1);
  auto &members = parent.members();
  std::erase_if(members, [&](const json::Value::Member &m) { return m.first == keys.back(); });
  return json::serialize(root);
}

inline std::string without(std::string_view pointer) {
  return without(kMinimalConfig, pointer);
}

// The parse error of `text`, or "(no error)" when it parses.
inline std::string config_error(std::string_view text) {
  auto config = spec::parse_config(text);
  return config ? std::string("(no error)") : config.error().message();
}

inline spec::Config parse_ok(std::string_view text) {
  auto config = spec::parse_config(text);
  cr_assert(config.has_value(), "unexpected error: %s", config.error().message().c_str());
  return std::move(*config);
}

} // namespace spec_test

// Asserts that `text` fails with exactly `expected` (source prefix included).
#define expect_config_error(text, expected)                                                        \
  do {                                                                                             \
    std::string actual_error_ = spec_test::config_error(text);                                     \
    cr_assert_str_eq(actual_error_.c_str(), expected);                                             \
  } while (0)
