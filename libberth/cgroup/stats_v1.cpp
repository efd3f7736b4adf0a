// `events --stats` from cgroup v1 files.
#include <unistd.h>

#include <array>
#include <utility>

#include "cgroup/cgroup_files.hpp"
#include "cgroup/stats_detail.hpp"
#include "sys/text.hpp"

namespace berth::cgroup::stats_detail {
namespace {

// "123 456 789" (cpuacct.usage_percpu*), absent when the file is.
Result<std::optional<json::Value>> read_number_list(const CgroupDir &dir, std::string_view file) {
  BERTH_TRY_ASSIGN(auto text, read_cgroup_value(dir.dir(), file));
  if (!text)
    return std::optional<json::Value>();
  auto list = json::Value::array();
  std::string_view rest = *text;
  while (!rest.empty()) {
    auto space = rest.find_first_of(" \n");
    if (auto value = parse_cgroup_number(rest.substr(0, space)))
      list.push_back(json::Value::number(*value));
    rest.remove_prefix(space == std::string_view::npos ? rest.size() : space + 1);
  }
  return std::optional<json::Value>(std::move(list));
}

// One of runc's usage entries: usage, max (the peak), limit, failcnt, from
// the files "<prefix>.usage_in_bytes" ... ("memory", "memory.memsw" ...; a
// hugetlb size's entry has no limit in runc's stats).
Result<std::optional<json::Value>> usage_entry(const CgroupDir &dir, const std::string &prefix,
                                               bool with_limit = true) {
  BERTH_TRY_ASSIGN(auto usage, read_number(dir, prefix + ".usage_in_bytes"));
  if (!usage)
    return std::optional<json::Value>(); // no swap (or kmem) accounting here
  auto entry = json::Value::object();
  set_number(entry, "usage", usage);
  BERTH_TRY_ASSIGN(auto max, read_number(dir, prefix + ".max_usage_in_bytes"));
  set_number(entry, "max", max);
  if (with_limit) {
    BERTH_TRY_ASSIGN(auto limit, read_number(dir, prefix + ".limit_in_bytes"));
    set_number(entry, "limit", limit);
  }
  BERTH_TRY_ASSIGN(auto failcnt, read_number(dir, prefix + ".failcnt"));
  set_number(entry, "failcnt", failcnt);
  return std::optional<json::Value>(std::move(entry));
}

// Lines "8:0 Read 4096", or "8:0 4096" for the files without an operation;
// "Total 8192" is not a device and is left out.
json::Value blkio_entries(std::string_view text) {
  auto entries = json::Value::array();
  for (std::string_view line : sys::split_lines(text)) {
    auto words = sys::split_words(line);
    if (words.size() < 2 || words.size() > 3)
      continue;
    auto colon = words[0].find(':');
    if (colon == std::string_view::npos)
      continue;
    auto major = parse_cgroup_number(words[0].substr(0, colon));
    auto minor = parse_cgroup_number(words[0].substr(colon + 1));
    auto value = parse_cgroup_number(words.back());
    if (!major || !minor || !value)
      continue;
    auto entry = json::Value::object();
    entry.set("major", json::Value::number(*major));
    entry.set("minor", json::Value::number(*minor));
    if (words.size() == 3)
      entry.set("op", json::Value::string(std::string(words[1])));
    entry.set("value", json::Value::number(*value));
    entries.push_back(std::move(entry));
  }
  return entries;
}

struct BlkioSource {
  std::string_view key;
  // The first of these files that has entries: CFQ's (before 5.0), BFQ's,
  // then the throttling layer's, which counts I/O under any scheduler.
  std::array<std::string_view, 3> files;
};

constexpr std::array<BlkioSource, 8> kBlkioSources{{
    {"ioServiceBytesRecursive",
     {"blkio.io_service_bytes_recursive", "blkio.bfq.io_service_bytes_recursive",
      "blkio.throttle.io_service_bytes_recursive"}},
    {"ioServicedRecursive",
     {"blkio.io_serviced_recursive", "blkio.bfq.io_serviced_recursive",
      "blkio.throttle.io_serviced_recursive"}},
    {"ioQueueRecursive", {"blkio.io_queued_recursive", "blkio.bfq.io_queued_recursive", ""}},
    {"ioServiceTimeRecursive",
     {"blkio.io_service_time_recursive", "blkio.bfq.io_service_time_recursive", ""}},
    {"ioWaitTimeRecursive",
     {"blkio.io_wait_time_recursive", "blkio.bfq.io_wait_time_recursive", ""}},
    {"ioMergedRecursive", {"blkio.io_merged_recursive", "blkio.bfq.io_merged_recursive", ""}},
    {"ioTimeRecursive", {"blkio.time_recursive", "blkio.bfq.time_recursive", ""}},
    {"sectorsRecursive", {"blkio.sectors_recursive", "blkio.bfq.sectors_recursive", ""}},
}};

} // namespace

Result<json::Value> v1_cpu(const CgroupDir *cpu, const CgroupDir *cpuacct) {
  auto usage = json::Value::object();
  if (cpuacct) {
    BERTH_TRY_ASSIGN(auto total, read_number(*cpuacct, "cpuacct.usage"));
    set_number(usage, "total", total);
    for (auto [key, file] : {std::pair{"percpu", "cpuacct.usage_percpu"},
                             std::pair{"percpu_kernel", "cpuacct.usage_percpu_sys"},
                             std::pair{"percpu_user", "cpuacct.usage_percpu_user"}}) {
      BERTH_TRY_ASSIGN(auto list, read_number_list(*cpuacct, file));
      if (list)
        usage.set(key, std::move(*list));
    }
    // cpuacct.stat counts in USER_HZ ticks; runc reports nanoseconds.
    BERTH_TRY_ASSIGN(auto ticks, read_keyed(*cpuacct, "cpuacct.stat"));
    long hz = ::sysconf(_SC_CLK_TCK);
    std::uint64_t ns_per_tick = hz > 0 ? 1000000000u / static_cast<std::uint64_t>(hz) : 10000000u;
    for (auto [key, field] : {std::pair{"kernel", "system"}, std::pair{"user", "user"}})
      if (auto found = ticks.find(field); found != ticks.end())
        usage.set(key, json::Value::number(found->second * ns_per_tick));
  }
  auto throttling = json::Value::object();
  if (cpu) {
    BERTH_TRY_ASSIGN(auto stat, read_keyed(*cpu, "cpu.stat"));
    for (auto [key, field] :
         {std::pair{"periods", "nr_periods"}, std::pair{"throttledPeriods", "nr_throttled"},
          std::pair{"throttledTime", "throttled_time"}})
      if (auto found = stat.find(field); found != stat.end())
        throttling.set(key, json::Value::number(found->second));
  }
  auto object = json::Value::object();
  object.set("usage", std::move(usage));
  object.set("throttling", std::move(throttling));
  return object;
}

Result<json::Value> v1_memory(const CgroupDir &dir) {
  auto object = json::Value::object();
  BERTH_TRY_ASSIGN(auto raw, read_keyed(dir, "memory.stat"));
  if (auto cache = raw.find("cache"); cache != raw.end())
    object.set("cache", json::Value::number(cache->second));
  for (auto [key, prefix] :
       {std::pair{"usage", "memory"}, std::pair{"swap", "memory.memsw"},
        std::pair{"kernel", "memory.kmem"}, std::pair{"kernelTCP", "memory.kmem.tcp"}}) {
    BERTH_TRY_ASSIGN(auto entry, usage_entry(dir, prefix));
    if (entry)
      object.set(key, std::move(*entry));
  }
  object.set("raw", keyed_object(raw));
  return object;
}

Result<json::Value> v1_blkio(const CgroupDir &dir) {
  auto object = json::Value::object();
  for (const auto &source : kBlkioSources) {
    for (auto file : source.files) {
      if (file.empty())
        break;
      BERTH_TRY_ASSIGN(auto text, read_cgroup_value(dir.dir(), file));
      if (!text)
        continue;
      auto entries = blkio_entries(*text);
      if (entries.items().empty())
        continue;
      object.set(std::string(source.key), std::move(entries));
      break;
    }
  }
  return object;
}

Result<json::Value> v1_hugetlb(const CgroupDir &dir) {
  auto object = json::Value::object();
  BERTH_TRY_ASSIGN(auto sizes, hugetlb_sizes(dir, "usage_in_bytes"));
  for (const auto &size : sizes) {
    BERTH_TRY_ASSIGN(auto entry, usage_entry(dir, "hugetlb." + size, false));
    if (entry)
      object.set(size, std::move(*entry));
  }
  return object;
}

} // namespace berth::cgroup::stats_detail
