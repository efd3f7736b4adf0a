// Value -> JSON text (compact, or indented for people), on yajl's generator
// (which escapes strings correctly).
#include <yajl/yajl_gen.h>

#include <memory>

#include "json/value.hpp"

namespace berth::json {
namespace {

struct GenFree {
  void operator()(yajl_gen g) const { yajl_gen_free(g); }
};

const unsigned char *bytes(const std::string &s) {
  return reinterpret_cast<const unsigned char *>(s.data());
}

void emit(yajl_gen g, const Value &v) {
  switch (v.type()) {
  case Type::Null:
    yajl_gen_null(g);
    break;
  case Type::Bool:
    yajl_gen_bool(g, v.as_bool() ? 1 : 0);
    break;
  case Type::Number:
    yajl_gen_number(g, v.text().data(), v.text().size());
    break;
  case Type::String:
    yajl_gen_string(g, bytes(v.text()), v.text().size());
    break;
  case Type::Array:
    yajl_gen_array_open(g);
    for (const auto &item : v.items())
      emit(g, item);
    yajl_gen_array_close(g);
    break;
  case Type::Object:
    yajl_gen_map_open(g);
    for (const auto &[key, member] : v.members()) {
      yajl_gen_string(g, bytes(key), key.size());
      emit(g, member);
    }
    yajl_gen_map_close(g);
    break;
  }
}

std::string generate(const Value &value) {
  std::unique_ptr<std::remove_pointer_t<yajl_gen>, GenFree> g(yajl_gen_alloc(nullptr));
  // Keep '/' as is: yajl escapes it only when asked, and state.json is read by tools.
  yajl_gen_config(g.get(), yajl_gen_validate_utf8, 0);
  emit(g.get(), value);
  const unsigned char *buf = nullptr;
  size_t len = 0;
  yajl_gen_get_buf(g.get(), &buf, &len);
  return std::string(reinterpret_cast<const char *>(buf), len);
}

// By hand rather than with yajl_gen_beautify, which writes an empty array as
// "[", a blank line and "]"; scalars still go through yajl for the escaping.
void indent(std::string &out, const Value &v, std::size_t depth) {
  bool is_object = v.is_object();
  if (!is_object && !v.is_array()) {
    out += generate(v);
    return;
  }
  std::size_t count = is_object ? v.members().size() : v.items().size();
  if (count == 0) {
    out += is_object ? "{}" : "[]";
    return;
  }
  out += is_object ? "{\n" : "[\n";
  for (std::size_t i = 0; i < count; ++i) {
    out.append(depth + 1, '\t');
    if (is_object) {
      const auto &[key, member] = v.members()[i];
      out += generate(Value::string(key));
      out += ": ";
      indent(out, member, depth + 1);
    } else {
      indent(out, v.items()[i], depth + 1);
    }
    out += i + 1 < count ? ",\n" : "\n";
  }
  out.append(depth, '\t');
  out += is_object ? '}' : ']';
}

} // namespace

std::string serialize(const Value &value) {
  return generate(value);
}

std::string serialize_indented(const Value &value) {
  std::string text;
  indent(text, value, 0);
  text += '\n';
  return text;
}

} // namespace berth::json
