// Value -> compact JSON text, on yajl's generator (which escapes strings correctly).
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

} // namespace

std::string serialize(const Value &value) {
  std::unique_ptr<std::remove_pointer_t<yajl_gen>, GenFree> g(yajl_gen_alloc(nullptr));
  // Keep '/' as is: yajl escapes it only when asked, and state.json is read by tools.
  yajl_gen_config(g.get(), yajl_gen_validate_utf8, 0);
  emit(g.get(), value);
  const unsigned char *buf = nullptr;
  size_t len = 0;
  yajl_gen_get_buf(g.get(), &buf, &len);
  return std::string(reinterpret_cast<const char *>(buf), len);
}

} // namespace berth::json
