#include "update_resources.hpp"

#include "spec/parser.hpp"

namespace berth::cli {
namespace {

bool sets_anything(const spec::MemoryResources &m) {
  return m.limit || m.reservation || m.swap || m.kernel || m.kernel_tcp || m.swappiness ||
         m.disable_oom_killer || m.use_hierarchy || m.check_before_update;
}

bool sets_anything(const spec::CpuResources &c) {
  return c.shares || c.quota || c.burst || c.period || c.realtime_runtime || c.realtime_period ||
         c.cpus || c.mems || c.idle;
}

bool sets_anything(const spec::BlockIoResources &b) {
  return b.weight || b.leaf_weight || !b.weight_device.empty() ||
         !b.throttle_read_bps_device.empty() || !b.throttle_write_bps_device.empty() ||
         !b.throttle_read_iops_device.empty() || !b.throttle_write_iops_device.empty();
}

bool sets_anything(const spec::NetworkResources &n) {
  return n.class_id || !n.priorities.empty();
}

template <class T> bool sets_anything(const std::optional<T> &part) {
  return part && sets_anything(*part);
}

template <class T> void overlay(std::optional<T> &to, const std::optional<T> &from) {
  if (from)
    to = from;
}

} // namespace

bool sets_anything(const spec::Resources &r) {
  return !r.devices.empty() || sets_anything(r.memory) || sets_anything(r.cpu) ||
         r.pids_limit.has_value() || sets_anything(r.block_io) || !r.hugepage_limits.empty() ||
         sets_anything(r.network) || !r.rdma.empty() || !r.unified.empty();
}

// Only the fields runc has flags for: the flags set nothing else.
void overlay_resources(spec::Resources &base, const spec::Resources &flags) {
  if (flags.memory) {
    auto &to = base.memory ? *base.memory : base.memory.emplace();
    overlay(to.limit, flags.memory->limit);
    overlay(to.reservation, flags.memory->reservation);
    overlay(to.swap, flags.memory->swap);
  }
  if (flags.cpu) {
    auto &to = base.cpu ? *base.cpu : base.cpu.emplace();
    overlay(to.shares, flags.cpu->shares);
    overlay(to.quota, flags.cpu->quota);
    overlay(to.burst, flags.cpu->burst);
    overlay(to.period, flags.cpu->period);
    overlay(to.realtime_period, flags.cpu->realtime_period);
    overlay(to.realtime_runtime, flags.cpu->realtime_runtime);
    overlay(to.cpus, flags.cpu->cpus);
    overlay(to.mems, flags.cpu->mems);
  }
  overlay(base.pids_limit, flags.pids_limit);
  if (flags.block_io) {
    auto &to = base.block_io ? *base.block_io : base.block_io.emplace();
    overlay(to.weight, flags.block_io->weight);
  }
}

Result<spec::Resources> resources_to_update(std::optional<std::string_view> json,
                                            std::string_view source, const spec::Resources &flags) {
  // A document is what engines send, with 0 for every limit they leave as
  // it is (containerd's shim for every `docker update`, whatever it
  // changes): one that changes nothing is fine, as with runc. Only a command
  // line with neither a document nor a flag is a mistake.
  if (!json && !sets_anything(flags))
    return fail("update: nothing to update");
  spec::Resources resources;
  if (json) {
    BERTH_TRY_ASSIGN(resources, spec::parse_resources(*json, source));
  }
  spec::Resources given = flags;
  spec::clear_zero_limits(given); // --memory 0 leaves the limit as it is, as in runc
  overlay_resources(resources, given);
  return resources;
}

} // namespace berth::cli
