#include <criterion/criterion.h>

#include <string>

#include "json/value.hpp"

using namespace berth;

Test(json, parses_nested_document_and_keeps_number_text) {
  auto v =
      json::parse(R"({"a":[1,-2,18446744073709551615],"b":{"c":"x\u00e9"},"d":null,"e":true})");
  cr_assert(v.has_value());
  const json::Value *a = v->find("a");
  cr_assert(a && a->is_array() && a->items().size() == 3);
  cr_assert_eq(*a->items()[1].to_int64(), -2);
  cr_assert_eq(*a->items()[2].to_uint64(), 18446744073709551615ull);
  cr_assert(!a->items()[2].to_int64().has_value(), "2^64-1 does not fit int64");
  cr_assert(!a->items()[1].to_uint64().has_value(), "negative is not a uint64");
  cr_assert_str_eq(v->find("b")->find("c")->text().c_str(), "x\xc3\xa9");
  cr_assert(v->find("d")->is_null());
  cr_assert(v->find("e")->as_bool());
}

Test(json, fractions_are_not_integers) {
  auto v = json::parse("[1.5, 1e3]");
  cr_assert(v.has_value());
  cr_assert(!v->items()[0].to_int64().has_value());
  cr_assert(!v->items()[1].to_int64().has_value());
  cr_assert_float_eq(*v->items()[1].to_double(), 1000.0, 1e-9);
}

Test(json, rejects_malformed_text_with_position) {
  auto v = json::parse(R"({"a": [1, 2,}")");
  cr_assert(!v.has_value());
  cr_assert(v.error().message().starts_with("invalid JSON at byte"), "%s",
            v.error().message().c_str());
}

Test(json, rejects_trailing_garbage_and_empty_input) {
  cr_assert(!json::parse("{} {}").has_value());
  cr_assert(!json::parse("").has_value());
  cr_assert(!json::parse("   ").has_value());
}

Test(json, depth_bound_stops_hostile_nesting) {
  std::string deep(200000, '[');
  auto v = json::parse(deep);
  cr_assert(!v.has_value());
  cr_assert(v.error().message().find("nesting deeper than") != std::string::npos, "%s",
            v.error().message().c_str());
  std::string ok =
      std::string(json::kDefaultMaxDepth, '[') + std::string(json::kDefaultMaxDepth, ']');
  cr_assert(json::parse(ok).has_value(), "exactly the bound is accepted");
  std::string over = "[" + ok + "]";
  cr_assert(!json::parse(over).has_value(), "one more level is refused");
}

Test(json, serialize_round_trips_and_escapes) {
  auto v = json::Value::object();
  v.set("id", json::Value::string("a\"b/c\n"));
  v.set("pid", json::Value::number(std::int64_t{42}));
  auto &arr = v.set("list", json::Value::array());
  arr.push_back(json::Value::boolean(false));
  arr.push_back(json::Value::null());
  std::string text = json::serialize(v);
  cr_assert_str_eq(text.c_str(), R"({"id":"a\"b/c\n","pid":42,"list":[false,null]})");
  auto back = json::parse(text);
  cr_assert(back.has_value());
  cr_assert_str_eq(back->find("id")->text().c_str(), "a\"b/c\n");
}

Test(json, pointer_escapes_tilde_and_slash) {
  std::string key = json::pointer_append("/linux/sysctl", "net/ipv4~x");
  std::string index = json::pointer_append("/mounts", std::size_t{3});
  cr_assert_str_eq(key.c_str(), "/linux/sysctl/net~1ipv4~0x");
  cr_assert_str_eq(index.c_str(), "/mounts/3");
}

Test(json, serialize_indented) {
  auto value = json::parse(R"({"a":[1,"x\"y"],"b":{},"c":[],"d":{"e":true}})");
  cr_assert(value.has_value());
  std::string expected = "{\n"
                         "\t\"a\": [\n\t\t1,\n\t\t\"x\\\"y\"\n\t],\n"
                         "\t\"b\": {},\n"
                         "\t\"c\": [],\n"
                         "\t\"d\": {\n\t\t\"e\": true\n\t}\n"
                         "}\n";
  cr_assert(json::serialize_indented(*value) == expected, "%s",
            json::serialize_indented(*value).c_str());
  cr_assert(json::serialize_indented(json::Value::string("s")) == "\"s\"\n");
  cr_assert(json::serialize_indented(json::Value::array()) == "[]\n");
}
