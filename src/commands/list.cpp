#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "commands.hpp"
#include "json/value.hpp"

namespace berth::cli {
namespace {

// Every column but the last is padded to its widest cell plus three spaces,
// and to at least twelve, so the table lines up like runc's.
std::string format_table(const std::vector<container::State> &states) {
  using Row = std::array<std::string, 6>;
  std::vector<Row> rows = {{"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
  for (const auto &s : states)
    rows.push_back({s.id, std::to_string(s.pid), std::string(container::status_name(s.status)),
                    s.bundle, s.created, s.owner});
  std::array<std::size_t, 6> width{};
  for (const Row &row : rows)
    for (std::size_t c = 0; c < row.size(); ++c)
      width[c] = std::max({width[c], row[c].size() + 3, std::size_t{12}});
  std::string out;
  for (const Row &row : rows) {
    for (std::size_t c = 0; c + 1 < row.size(); ++c) {
      out += row[c];
      out.append(width[c] - row[c].size(), ' ');
    }
    out += row.back();
    out += '\n';
  }
  return out;
}

json::Value state_object(const container::State &s) {
  json::Value object = json::Value::object();
  object.set("ociVersion", json::Value::string(s.oci_version));
  object.set("id", json::Value::string(s.id));
  object.set("pid", json::Value::number(static_cast<std::int64_t>(s.pid)));
  object.set("status", json::Value::string(std::string(container::status_name(s.status))));
  object.set("bundle", json::Value::string(s.bundle));
  object.set("created", json::Value::string(s.created));
  object.set("owner", json::Value::string(s.owner));
  if (!s.annotations.empty()) {
    json::Value annotations = json::Value::object();
    for (const auto &[key, value] : s.annotations)
      annotations.set(key, json::Value::string(value));
    object.set("annotations", std::move(annotations));
  }
  return object;
}

} // namespace

Result<int> list_command(const Invocation &invocation) {
  BERTH_TRY_ASSIGN(std::vector<container::State> states,
                   container::list(invocation.global.options));
  std::string out;
  if (invocation.quiet) {
    for (const auto &s : states)
      out += s.id + "\n";
  } else if (invocation.list_format == ListFormat::Json) {
    json::Value array = json::Value::array();
    for (const auto &s : states)
      array.push_back(state_object(s));
    out = json::serialize(array) + "\n";
  } else {
    out = format_table(states);
  }
  BERTH_TRY(print(out));
  return 0;
}

} // namespace berth::cli
