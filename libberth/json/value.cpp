#include "json/value.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace berth::json {

std::string_view describe(Type type) {
  switch (type) {
  case Type::Null:
    return "null";
  case Type::Bool:
    return "a boolean";
  case Type::Number:
    return "a number";
  case Type::String:
    return "a string";
  case Type::Array:
    return "an array";
  case Type::Object:
    return "an object";
  }
  return "unknown";
}

Value Value::boolean(bool b) {
  Value v;
  v.type_ = Type::Bool;
  v.bool_ = b;
  return v;
}

Value Value::number_from_text(std::string text) {
  Value v;
  v.type_ = Type::Number;
  v.text_ = std::move(text);
  return v;
}

Value Value::number(std::int64_t n) {
  return number_from_text(std::to_string(n));
}
Value Value::number(std::uint64_t n) {
  return number_from_text(std::to_string(n));
}

Value Value::string(std::string s) {
  Value v;
  v.type_ = Type::String;
  v.text_ = std::move(s);
  return v;
}

Value Value::array() {
  Value v;
  v.type_ = Type::Array;
  return v;
}

Value Value::object() {
  Value v;
  v.type_ = Type::Object;
  return v;
}

// A JSON integer is an optional '-' followed by digits only; anything with a
// fraction or exponent is not an integer for the spec's integer fields.
static bool is_integer_text(const std::string &text) {
  std::size_t i = (!text.empty() && text[0] == '-') ? 1 : 0;
  if (i == text.size())
    return false;
  for (; i < text.size(); ++i)
    if (text[i] < '0' || text[i] > '9')
      return false;
  return true;
}

std::optional<std::int64_t> Value::to_int64() const {
  if (type_ != Type::Number || !is_integer_text(text_))
    return std::nullopt;
  errno = 0;
  char *end = nullptr;
  long long n = std::strtoll(text_.c_str(), &end, 10);
  if (errno == ERANGE || *end != '\0')
    return std::nullopt;
  return static_cast<std::int64_t>(n);
}

std::optional<std::uint64_t> Value::to_uint64() const {
  if (type_ != Type::Number || !is_integer_text(text_) || text_[0] == '-')
    return std::nullopt;
  errno = 0;
  char *end = nullptr;
  unsigned long long n = std::strtoull(text_.c_str(), &end, 10);
  if (errno == ERANGE || *end != '\0')
    return std::nullopt;
  return static_cast<std::uint64_t>(n);
}

std::optional<double> Value::to_double() const {
  if (type_ != Type::Number)
    return std::nullopt;
  errno = 0;
  char *end = nullptr;
  double d = std::strtod(text_.c_str(), &end);
  if (errno == ERANGE || *end != '\0' || !std::isfinite(d))
    return std::nullopt;
  return d;
}

const Value *Value::find(std::string_view key) const {
  const Value *found = nullptr;
  for (const auto &[name, value] : members_)
    if (name == key)
      found = &value;
  return found;
}

Value &Value::push_back(Value v) {
  items_.push_back(std::move(v));
  return items_.back();
}

Value &Value::set(std::string key, Value v) {
  for (auto &[name, value] : members_)
    if (name == key) {
      value = std::move(v);
      return value;
    }
  members_.emplace_back(std::move(key), std::move(v));
  return members_.back().second;
}

std::string pointer_append(std::string_view pointer, std::string_view key) {
  std::string out(pointer);
  out += '/';
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

std::string pointer_append(std::string_view pointer, std::size_t index) {
  std::string out(pointer);
  out += '/';
  out += std::to_string(index);
  return out;
}

} // namespace berth::json
