// `events --stats` from cgroup v2 files, in the shape runc gives them (its
// v1-era field names; times in nanoseconds).
#include <limits>

#include "cgroup/cgroup_files.hpp"
#include "cgroup/stats_detail.hpp"
#include "sys/text.hpp"

namespace berth::cgroup::stats_detail {
namespace {

constexpr std::uint64_t kUnlimited = std::numeric_limits<std::uint64_t>::max();

void set_field(json::Value &object, std::string key,
               const std::map<std::string, std::uint64_t> &values, const std::string &field,
               std::uint64_t scale = 1) {
  if (auto found = values.find(field); found != values.end())
    object.set(std::move(key), json::Value::number(found->second * scale));
}

std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
  return a > kUnlimited - b ? kUnlimited : a + b;
}

} // namespace

Result<json::Value> v2_cpu(const CgroupDir &dir) {
  BERTH_TRY_ASSIGN(auto stat, read_keyed(dir, "cpu.stat"));
  auto usage = json::Value::object();
  set_field(usage, "total", stat, "usage_usec", 1000);
  set_field(usage, "kernel", stat, "system_usec", 1000);
  set_field(usage, "user", stat, "user_usec", 1000);
  auto throttling = json::Value::object();
  set_field(throttling, "periods", stat, "nr_periods");
  set_field(throttling, "throttledPeriods", stat, "nr_throttled");
  set_field(throttling, "throttledTime", stat, "throttled_usec", 1000);
  auto object = json::Value::object();
  object.set("usage", std::move(usage));
  object.set("throttling", std::move(throttling));
  return object;
}

Result<json::Value> v2_memory(const CgroupDir &dir) {
  auto object = json::Value::object();
  BERTH_TRY_ASSIGN(auto raw, read_keyed(dir, "memory.stat"));
  if (auto file = raw.find("file"); file != raw.end())
    object.set("cache", json::Value::number(file->second));

  BERTH_TRY_ASSIGN(auto usage, read_number(dir, "memory.current"));
  BERTH_TRY_ASSIGN(auto limit, read_number(dir, "memory.max"));
  BERTH_TRY_ASSIGN(auto events, read_keyed(dir, "memory.events"));
  auto memory = json::Value::object();
  set_number(memory, "usage", usage);
  BERTH_TRY_ASSIGN(auto peak, read_number(dir, "memory.peak"));
  set_number(memory, "max", peak);
  set_number(memory, "limit", limit);
  set_field(memory, "failcnt", events, "max");
  object.set("usage", std::move(memory));

  // v1 counted swap as memory plus swap; runc keeps that meaning on v2.
  BERTH_TRY_ASSIGN(auto swap_usage, read_number(dir, "memory.swap.current"));
  BERTH_TRY_ASSIGN(auto swap_limit, read_number(dir, "memory.swap.max"));
  if (swap_usage) {
    auto swap = json::Value::object();
    swap.set("usage", json::Value::number(saturating_add(*swap_usage, usage.value_or(0))));
    if (swap_limit)
      swap.set("limit", json::Value::number(*swap_limit == kUnlimited
                                                ? kUnlimited
                                                : saturating_add(*swap_limit, limit.value_or(0))));
    object.set("swap", std::move(swap));
  }
  object.set("raw", keyed_object(raw));
  return object;
}

Result<json::Value> v2_io(const CgroupDir &dir) {
  BERTH_TRY_ASSIGN(auto text, read_cgroup_value(dir.dir(), "io.stat"));
  auto bytes = json::Value::array();
  auto ios = json::Value::array();
  std::string_view rest = text ? std::string_view(*text) : std::string_view();
  // "8:0 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0"
  for (std::string_view line : sys::split_lines(rest)) {
    auto space = line.find(' ');
    auto device = line.substr(0, space);
    auto colon = device.find(':');
    if (space == std::string_view::npos || colon == std::string_view::npos)
      continue;
    auto major = parse_cgroup_number(device.substr(0, colon));
    auto minor = parse_cgroup_number(device.substr(colon + 1));
    if (!major || !minor)
      continue;
    std::map<std::string, std::uint64_t> values;
    std::string_view fields = line.substr(space + 1);
    while (!fields.empty()) {
      auto end = fields.find(' ');
      auto field = fields.substr(0, end);
      fields.remove_prefix(end == std::string_view::npos ? fields.size() : end + 1);
      auto equals = field.find('=');
      if (equals == std::string_view::npos)
        continue;
      if (auto value = parse_cgroup_number(field.substr(equals + 1)))
        values[std::string(field.substr(0, equals))] = *value;
    }
    auto add = [&](json::Value &list, const char *op, const char *field) {
      auto found = values.find(field);
      if (found == values.end())
        return;
      auto entry = json::Value::object();
      entry.set("major", json::Value::number(*major));
      entry.set("minor", json::Value::number(*minor));
      entry.set("op", json::Value::string(op));
      entry.set("value", json::Value::number(found->second));
      list.push_back(std::move(entry));
    };
    add(bytes, "Read", "rbytes");
    add(bytes, "Write", "wbytes");
    add(ios, "Read", "rios");
    add(ios, "Write", "wios");
  }
  auto object = json::Value::object();
  if (!bytes.items().empty())
    object.set("ioServiceBytesRecursive", std::move(bytes));
  if (!ios.items().empty())
    object.set("ioServicedRecursive", std::move(ios));
  return object;
}

Result<json::Value> v2_hugetlb(const CgroupDir &dir) {
  auto object = json::Value::object();
  BERTH_TRY_ASSIGN(auto sizes, hugetlb_sizes(dir, "current"));
  for (const auto &size : sizes) {
    auto entry = json::Value::object();
    std::string prefix = "hugetlb." + size;
    BERTH_TRY_ASSIGN(auto usage, read_number(dir, prefix + ".current"));
    set_number(entry, "usage", usage);
    // v2 keeps no peak; the times the limit was hit are in the events file.
    BERTH_TRY_ASSIGN(auto events, read_keyed(dir, prefix + ".events"));
    set_field(entry, "failcnt", events, "max");
    object.set(size, std::move(entry));
  }
  return object;
}

} // namespace berth::cgroup::stats_detail
