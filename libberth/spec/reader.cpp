#include "spec/reader.hpp"

#include <cstdio>

namespace berth::spec::detail {

std::optional<Node> Node::member(std::string_view key) const {
  auto node = member_or_null(key);
  if (node && node->value().is_null())
    return std::nullopt;
  return node;
}

std::optional<Node> Node::member_or_null(std::string_view key) const {
  if (!value_->is_object())
    return std::nullopt;
  const json::Value *found = value_->find(key);
  if (!found)
    return std::nullopt;
  return Node(*found, pointer_to(key));
}

Node Node::item(std::size_t index) const {
  return Node(value_->items()[index], json::pointer_append(pointer_, index));
}

std::string Node::pointer_to(std::string_view key) const {
  return json::pointer_append(pointer_, key);
}

std::unexpected<Error> fail_at(std::string_view pointer, std::string_view why) {
  if (pointer.empty())
    return fail(std::string(why));
  std::string message(pointer);
  message += ": ";
  message += why;
  return fail(std::move(message));
}

std::unexpected<Error> fail_type(const Node &node, std::string_view what) {
  std::string why = "expected ";
  why += what;
  why += ", got ";
  why += json::describe(node.value().type());
  return fail_at(node.pointer(), why);
}

Result<void> expect_object(const Node &node) {
  if (!node.value().is_object())
    return fail_type(node, "an object");
  return {};
}

Result<void> read_value(const Node &node, std::string &out) {
  if (!node.value().is_string())
    return fail_type(node, "a string");
  out = node.value().text();
  return {};
}

Result<void> read_value(const Node &node, bool &out) {
  if (!node.value().is_bool())
    return fail_type(node, "a boolean");
  out = node.value().as_bool();
  return {};
}

Result<void> read_value(const Node &node, std::vector<std::string> &out) {
  if (!node.value().is_array())
    return fail_type(node, "an array of strings");
  out.clear();
  out.reserve(node.value().items().size());
  for (std::size_t i = 0; i < node.value().items().size(); ++i) {
    std::string text;
    BERTH_TRY(read_value(node.item(i), text));
    out.push_back(std::move(text));
  }
  return {};
}

Result<void> read_value(const Node &node, std::map<std::string, std::string> &out) {
  if (!node.value().is_object())
    return fail_type(node, "an object of strings");
  out.clear();
  for (const auto &[key, value] : node.value().members()) {
    std::string text;
    BERTH_TRY(read_value(Node(value, node.pointer_to(key)), text));
    out.insert_or_assign(key, std::move(text));
  }
  return {};
}

static std::unexpected<Error> fail_range(const Node &node, std::string_view min,
                                         std::string_view max) {
  std::string why = "expected an integer from ";
  why += min;
  why += " to ";
  why += max;
  return fail_at(node.pointer(), why);
}

Result<void> read_signed(const Node &node, std::int64_t min, std::int64_t max, std::int64_t &out) {
  if (!node.value().is_number())
    return fail_type(node, "a number");
  auto n = node.value().to_int64();
  if (!n || *n < min || *n > max)
    return fail_range(node, std::to_string(min), std::to_string(max));
  out = *n;
  return {};
}

Result<void> read_unsigned(const Node &node, std::uint64_t max, std::uint64_t &out) {
  if (!node.value().is_number())
    return fail_type(node, "a number");
  auto n = node.value().to_uint64();
  if (!n || *n > max)
    return fail_range(node, "0", std::to_string(max));
  out = *n;
  return {};
}

Result<void> expect_absolute(std::string_view pointer, const std::string &path) {
  if (!path.starts_with('/'))
    return fail_at(pointer, "must be an absolute path, got " + quote(path));
  return {};
}

std::string quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
      out += escaped;
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

} // namespace berth::spec::detail
