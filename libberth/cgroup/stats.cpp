// Manager::stats and oom_kill_count: each controller read from the hierarchy
// that owns it, in the files of that hierarchy's version.
#include <algorithm>
#include <limits>

#include "cgroup/cgroup_files.hpp"
#include "cgroup/stats_detail.hpp"

namespace berth::cgroup {
namespace stats_detail {

Result<std::optional<std::uint64_t>> read_number(const CgroupDir &dir, std::string_view file) {
  BERTH_TRY_ASSIGN(auto text, read_cgroup_value(dir.dir(), file));
  if (!text)
    return std::optional<std::uint64_t>();
  return parse_cgroup_number(*text);
}

Result<std::map<std::string, std::uint64_t>> read_keyed(const CgroupDir &dir,
                                                        std::string_view file) {
  BERTH_TRY_ASSIGN(auto text, read_cgroup_value(dir.dir(), file));
  if (!text)
    return std::map<std::string, std::uint64_t>();
  return parse_flat_keyed(*text);
}

void set_number(json::Value &object, std::string key, std::optional<std::uint64_t> value) {
  if (value)
    object.set(std::move(key), json::Value::number(*value));
}

json::Value keyed_object(const std::map<std::string, std::uint64_t> &values) {
  auto object = json::Value::object();
  for (const auto &[key, value] : values)
    object.set(key, json::Value::number(value));
  return object;
}

Result<std::vector<std::string>> hugetlb_sizes(const CgroupDir &dir, std::string_view suffix) {
  BERTH_TRY_ASSIGN(auto names, list_cgroup_dir(dir.dir(), false));
  std::vector<std::string> sizes;
  constexpr std::string_view prefix = "hugetlb.";
  for (std::string_view name : names) {
    if (!name.starts_with(prefix) || name.size() <= prefix.size() + suffix.size() + 1 ||
        !name.ends_with(suffix) || name[name.size() - suffix.size() - 1] != '.')
      continue;
    auto size = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size() - 1);
    if (size.find('.') == std::string_view::npos)
      sizes.emplace_back(size);
  }
  std::sort(sizes.begin(), sizes.end());
  return sizes;
}

Result<json::Value> pids(const CgroupDir &dir) {
  auto object = json::Value::object();
  BERTH_TRY_ASSIGN(auto current, read_number(dir, "pids.current"));
  BERTH_TRY_ASSIGN(auto limit, read_number(dir, "pids.max"));
  set_number(object, "current", current);
  // runc reports no limit ("max") as 0.
  if (limit)
    object.set("limit", json::Value::number(*limit == std::numeric_limits<std::uint64_t>::max()
                                                ? std::uint64_t{0}
                                                : *limit));
  return object;
}

} // namespace stats_detail

namespace {

Result<void> put(json::Value &data, std::string key, Result<json::Value> section) {
  if (!section)
    return fail(std::move(section).error());
  data.set(std::move(key), std::move(*section));
  return {};
}

} // namespace

Result<Stats> Manager::stats() const {
  using namespace stats_detail;
  const CgroupSet &cgroups = impl_->cgroups;
  auto data = json::Value::object();
  const CgroupDir *cpu = cgroups.owner_of("cpu");
  const CgroupDir *cpuacct = cgroups.owner_of("cpuacct");
  if (cpu && cpu->v2())
    cpu = nullptr;
  if (cpu || cpuacct) {
    BERTH_TRY(put(data, "cpu", v1_cpu(cpu, cpuacct)));
  } else if (const CgroupDir *unified = cgroups.unified()) {
    // cpu.stat's usage is part of every v2 cgroup, with the controller or not.
    BERTH_TRY(put(data, "cpu", v2_cpu(*unified)));
  }
  if (const CgroupDir *memory = cgroups.owner_of("memory"))
    BERTH_TRY(put(data, "memory", memory->v2() ? v2_memory(*memory) : v1_memory(*memory)));
  if (const CgroupDir *pids_dir = cgroups.owner_of("pids"))
    BERTH_TRY(put(data, "pids", stats_detail::pids(*pids_dir)));
  if (const CgroupDir *blkio = cgroups.owner_of("blkio"))
    BERTH_TRY(put(data, "blkio", v1_blkio(*blkio)));
  else if (const CgroupDir *io = cgroups.owner_of("io"))
    BERTH_TRY(put(data, "blkio", v2_io(*io)));
  if (const CgroupDir *hugetlb = cgroups.owner_of("hugetlb"))
    BERTH_TRY(put(data, "hugetlb", hugetlb->v2() ? v2_hugetlb(*hugetlb) : v1_hugetlb(*hugetlb)));
  return Stats{std::move(data)};
}

Result<std::uint64_t> Manager::oom_kill_count() const {
  const CgroupDir *memory = impl_->cgroups.owner_of("memory");
  if (!memory)
    return std::uint64_t{0};
  BERTH_TRY_ASSIGN(
      auto values,
      stats_detail::read_keyed(*memory, memory->v2() ? "memory.events" : "memory.oom_control"));
  auto found = values.find("oom_kill");
  return found == values.end() ? std::uint64_t{0} : found->second;
}

} // namespace berth::cgroup
