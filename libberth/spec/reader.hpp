// Typed reads from the JSON tree for the config parser (internal to spec/).
//
// A Node is a JSON value and its JSON pointer, so that every error can say
// where it happened. Errors carry the pointer but not the source file name:
// the public entry points add that once ("config.json: /process/cwd: ...").
//
// Conventions, from the spec's "absent" semantics: an optional member that is
// absent or null is left untouched; a required one that is absent fails with
// "required", and one that is null fails as a type error ("got null").
#pragma once

#include <concepts>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sys/error.hpp"
#include "json/value.hpp"

namespace berth::spec::detail {

class Node {
public:
  Node(const json::Value &value, std::string pointer)
      : value_(&value), pointer_(std::move(pointer)) {}

  const json::Value &value() const { return *value_; }
  const std::string &pointer() const { return pointer_; }

  // The member `key` of this object, or nullopt when it is absent or null.
  std::optional<Node> member(std::string_view key) const;
  // The member `key` even when it is null (for required members), or nullopt.
  std::optional<Node> member_or_null(std::string_view key) const;
  Node item(std::size_t index) const;
  // The pointer of member `key`, for errors about a member that is absent.
  std::string pointer_to(std::string_view key) const;

private:
  const json::Value *value_;
  std::string pointer_;
};

// "<pointer>: <why>" (just "<why>" at the document root).
std::unexpected<Error> fail_at(std::string_view pointer, std::string_view why);
// "<pointer>: expected <what>, got <the node's type>".
std::unexpected<Error> fail_type(const Node &node, std::string_view what);

Result<void> expect_object(const Node &node);

// read_value: the node as one C++ type, type-checked and range-checked.
Result<void> read_value(const Node &node, std::string &out);
Result<void> read_value(const Node &node, bool &out);
Result<void> read_value(const Node &node, std::vector<std::string> &out);
Result<void> read_value(const Node &node, std::map<std::string, std::string> &out);
Result<void> read_signed(const Node &node, std::int64_t min, std::int64_t max, std::int64_t &out);
Result<void> read_unsigned(const Node &node, std::uint64_t max, std::uint64_t &out);

template <std::integral Int>
requires(!std::same_as<Int, bool>) Result<void> read_value(const Node &node, Int &out) {
  if constexpr (std::is_signed_v<Int>) {
    std::int64_t n = 0;
    BERTH_TRY(
        read_signed(node, std::numeric_limits<Int>::min(), std::numeric_limits<Int>::max(), n));
    out = static_cast<Int>(n);
  } else {
    std::uint64_t n = 0;
    BERTH_TRY(read_unsigned(node, std::numeric_limits<Int>::max(), n));
    out = static_cast<Int>(n);
  }
  return {};
}

template <std::integral Int>
requires(!std::same_as<Int, bool>) Result<void> read_value(const Node &node,
                                                           std::vector<Int> &out) {
  if (!node.value().is_array())
    return fail_type(node, "an array of integers");
  out.clear();
  for (std::size_t i = 0; i < node.value().items().size(); ++i) {
    Int n{};
    BERTH_TRY(read_value(node.item(i), n));
    out.push_back(n);
  }
  return {};
}

// A required member of an object node.
template <class T> Result<void> read_required(const Node &object, std::string_view key, T &out) {
  auto node = object.member_or_null(key);
  if (!node)
    return fail_at(object.pointer_to(key), "required");
  return read_value(*node, out);
}

// An optional member whose absence means "unset".
template <class T>
Result<void> read_optional(const Node &object, std::string_view key, std::optional<T> &out) {
  auto node = object.member(key);
  if (!node)
    return {};
  T value{};
  BERTH_TRY(read_value(*node, value));
  out = std::move(value);
  return {};
}

// An optional member whose absence keeps the default already in `out`.
template <class T> Result<void> read_or_default(const Node &object, std::string_view key, T &out) {
  auto node = object.member(key);
  if (!node)
    return {};
  return read_value(*node, out);
}

// Nested objects, through a parse function `Result<T> parse(const Node &)`.
template <class T, class Parse>
Result<void> read_object(const Node &object, std::string_view key, std::optional<T> &out,
                         Parse parse) {
  auto node = object.member(key);
  if (!node)
    return {};
  BERTH_TRY_ASSIGN(T value, parse(*node));
  out = std::move(value);
  return {};
}

template <class T, class Parse>
Result<void> read_required_object(const Node &object, std::string_view key, T &out, Parse parse) {
  auto node = object.member_or_null(key);
  if (!node)
    return fail_at(object.pointer_to(key), "required");
  BERTH_TRY_ASSIGN(out, parse(*node));
  return {};
}

// An optional array of objects; absent leaves `out` empty.
template <class T, class Parse>
Result<void> read_array(const Node &object, std::string_view key, std::vector<T> &out,
                        Parse parse) {
  auto node = object.member(key);
  if (!node)
    return {};
  if (!node->value().is_array())
    return fail_type(*node, "an array");
  out.clear();
  for (std::size_t i = 0; i < node->value().items().size(); ++i) {
    BERTH_TRY_ASSIGN(T value, parse(node->item(i)));
    out.push_back(std::move(value));
  }
  return {};
}

// An optional object used as a map from names to objects.
template <class T, class Parse>
Result<void> read_map(const Node &object, std::string_view key, std::map<std::string, T> &out,
                      Parse parse) {
  auto node = object.member(key);
  if (!node)
    return {};
  BERTH_TRY(expect_object(*node));
  out.clear();
  for (const auto &[name, value] : node->value().members()) {
    BERTH_TRY_ASSIGN(T parsed, parse(Node(value, json::pointer_append(node->pointer(), name))));
    out.insert_or_assign(name, std::move(parsed));
  }
  return {};
}

// Go-based generators write "" for an unset string (omitempty); for the fields
// where "" has no meaning of its own, it is made absent like a missing member.
inline void drop_empty(std::optional<std::string> &text) {
  if (text && text->empty())
    text.reset();
}

// Fails unless `path` is absolute: "<pointer>: must be an absolute path, got \"x\"".
Result<void> expect_absolute(std::string_view pointer, const std::string &path);

// "\"text\"" with quotes and control characters escaped, for error messages.
std::string quote(std::string_view text);

} // namespace berth::spec::detail
