// A JSON document as plain C++ values, built by parse() and written by serialize().
//
// Numbers keep their source text so that the spec's int64/uint64 fields convert
// exactly (a double would lose precision above 2^53).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sys/error.hpp"

namespace berth::json {

enum class Type { Null, Bool, Number, String, Array, Object };

// "null", "a boolean", "a number", "a string", "an array", "an object".
std::string_view describe(Type type);

class Value {
public:
  using Member = std::pair<std::string, Value>;

  Value() = default;
  static Value null() { return Value(); }
  static Value boolean(bool b);
  static Value number_from_text(std::string text);
  static Value number(std::int64_t n);
  static Value number(std::uint64_t n);
  static Value string(std::string s);
  static Value array();
  static Value object();

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::Null; }
  bool is_bool() const { return type_ == Type::Bool; }
  bool is_number() const { return type_ == Type::Number; }
  bool is_string() const { return type_ == Type::String; }
  bool is_array() const { return type_ == Type::Array; }
  bool is_object() const { return type_ == Type::Object; }

  bool as_bool() const { return bool_; }
  // The string's value, or a number's source text.
  const std::string &text() const { return text_; }

  // Exact conversions of a number; nullopt when it is not a number, is not an
  // integer, or is out of range.
  std::optional<std::int64_t> to_int64() const;
  std::optional<std::uint64_t> to_uint64() const;
  std::optional<double> to_double() const;

  const std::vector<Value> &items() const { return items_; }
  std::vector<Value> &items() { return items_; }
  const std::vector<Member> &members() const { return members_; }
  std::vector<Member> &members() { return members_; }

  // The member named `key` (the last one when a key repeats), or nullptr.
  const Value *find(std::string_view key) const;

  Value &push_back(Value v);
  Value &set(std::string key, Value v);

private:
  Type type_ = Type::Null;
  bool bool_ = false;
  std::string text_;
  std::vector<Value> items_;
  std::vector<Member> members_;
};

// The default bound on nesting depth: far deeper than any real config (under ten),
// below yajl_gen's own limit of 128, and shallow
// enough that nothing recursive over the tree can exhaust the stack.
inline constexpr std::size_t kDefaultMaxDepth = 64;

// Parses one JSON document. Errors say where ("at byte N") and why.
Result<Value> parse(std::string_view text, std::size_t max_depth = kDefaultMaxDepth);

// Compact JSON text of a value.
std::string serialize(const Value &value);
// The same, one member or item a line, indented by a tab a level, with a final
// newline: for files people read and edit (`berth spec`, `berth features`).
std::string serialize_indented(const Value &value);

// Appends `key` to a JSON pointer (RFC 6901 escaping of '~' and '/').
std::string pointer_append(std::string_view pointer, std::string_view key);
std::string pointer_append(std::string_view pointer, std::size_t index);

} // namespace berth::json
