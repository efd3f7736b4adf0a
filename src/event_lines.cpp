#include "event_lines.hpp"

#include "json/value.hpp"

namespace berth::cli {
namespace {

// The envelope up to where "data" would go, without its closing brace. The id
// goes through the serializer: ids are plain today, but escaping is its job.
std::string envelope_head(std::string_view type, std::string_view id) {
  std::string out = R"({"type":)";
  out += json::serialize(json::Value::string(std::string(type)));
  out += R"(,"id":)";
  out += json::serialize(json::Value::string(std::string(id)));
  return out;
}

} // namespace

std::string stats_event_line(std::string_view id, std::string_view stats_json) {
  std::string out = envelope_head("stats", id);
  out += R"(,"data":)";
  out += stats_json;
  out += "}\n";
  return out;
}

std::string oom_event_line(std::string_view id) {
  return envelope_head("oom", id) + "}\n";
}

} // namespace berth::cli
