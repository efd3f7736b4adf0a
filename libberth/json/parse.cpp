// JSON text -> Value, on yajl's event parser.
//
// yajl's own tree API frees recursively and has no depth limit, so a hostile
// 200,000-deep document would exhaust the stack; building the tree from events
// lets the depth bound stop it at the first bracket too many.
#include <yajl/yajl_parse.h>

#include <memory>
#include <string>
#include <vector>

#include "json/value.hpp"

namespace berth::json {
namespace {

struct Builder {
  std::size_t max_depth;
  Value root;
  bool have_root = false;
  std::vector<Value *> stack; // open arrays and objects, innermost last
  std::string pending_key;
  std::string error;

  bool add(Value v, bool opens_container) {
    Value *slot = nullptr;
    if (stack.empty()) {
      root = std::move(v);
      have_root = true;
      slot = &root;
    } else if (stack.back()->is_array()) {
      slot = &stack.back()->push_back(std::move(v));
    } else {
      auto &members = stack.back()->members();
      members.emplace_back(std::move(pending_key), std::move(v));
      slot = &members.back().second;
    }
    if (opens_container) {
      if (stack.size() >= max_depth) {
        error = "nesting deeper than " + std::to_string(max_depth) + " levels";
        return false;
      }
      stack.push_back(slot);
    }
    return true;
  }
};

Builder &builder(void *ctx) {
  return *static_cast<Builder *>(ctx);
}

int on_null(void *ctx) {
  return builder(ctx).add(Value::null(), false);
}
int on_boolean(void *ctx, int b) {
  return builder(ctx).add(Value::boolean(b != 0), false);
}
int on_number(void *ctx, const char *s, size_t len) {
  return builder(ctx).add(Value::number_from_text(std::string(s, len)), false);
}
int on_string(void *ctx, const unsigned char *s, size_t len) {
  return builder(ctx).add(Value::string(std::string(reinterpret_cast<const char *>(s), len)),
                          false);
}
int on_start_map(void *ctx) {
  return builder(ctx).add(Value::object(), true);
}
int on_map_key(void *ctx, const unsigned char *s, size_t len) {
  builder(ctx).pending_key.assign(reinterpret_cast<const char *>(s), len);
  return 1;
}
int on_end(void *ctx) {
  builder(ctx).stack.pop_back();
  return 1;
}
int on_start_array(void *ctx) {
  return builder(ctx).add(Value::array(), true);
}

const yajl_callbacks kCallbacks = {
    on_null,
    on_boolean,
    nullptr /* integer: on_number */,
    nullptr /* double: on_number */,
    on_number,
    on_string,
    on_start_map,
    on_map_key,
    on_end,
    on_start_array,
    on_end,
};

struct YajlFree {
  void operator()(yajl_handle h) const { yajl_free(h); }
};

// yajl's message is "parse error: <reason>\n" plus optional context; keep the reason.
std::string yajl_reason(yajl_handle h, std::string_view text) {
  unsigned char *raw =
      yajl_get_error(h, 0, reinterpret_cast<const unsigned char *>(text.data()), text.size());
  std::string reason = raw ? reinterpret_cast<const char *>(raw) : "invalid JSON";
  yajl_free_error(h, raw);
  while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' '))
    reason.pop_back();
  if (auto colon = reason.find(": ");
      reason.starts_with("parse error") && colon != std::string::npos)
    reason.erase(0, colon + 2);
  if (auto nl = reason.find('\n'); nl != std::string::npos)
    reason.erase(nl);
  return reason;
}

} // namespace

Result<Value> parse(std::string_view text, std::size_t max_depth) {
  Builder b{max_depth, {}, false, {}, {}, {}};
  std::unique_ptr<std::remove_pointer_t<yajl_handle>, YajlFree> h(
      yajl_alloc(&kCallbacks, nullptr, &b));
  if (!h)
    return fail("invalid JSON: out of memory");

  auto status =
      yajl_parse(h.get(), reinterpret_cast<const unsigned char *>(text.data()), text.size());
  if (status == yajl_status_ok)
    status = yajl_complete_parse(h.get());
  if (status != yajl_status_ok) {
    std::size_t at = yajl_get_bytes_consumed(h.get());
    if (!b.error.empty())
      return fail("invalid JSON at byte " + std::to_string(at) + ": " + b.error);
    return fail("invalid JSON at byte " + std::to_string(at) + ": " + yajl_reason(h.get(), text));
  }
  if (!b.have_root)
    return fail("invalid JSON: empty document");
  return std::move(b.root);
}

} // namespace berth::json
