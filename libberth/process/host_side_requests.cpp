#include "process/host_side_requests.hpp"

#include <fcntl.h>

#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <optional>
#include <string>

#include "linux/host_side.hpp"
#include "sys/syscalls.hpp"
#include "sys/text.hpp"

namespace berth::process {
namespace {

Result<std::size_t> parse_index(std::string_view payload, std::size_t count) {
  std::size_t index = 0;
  auto [end, ec] = std::from_chars(payload.data(), payload.data() + payload.size(), index);
  if (ec != std::errc() || end != payload.data() + payload.size() || index >= count)
    return fail("bad host-side request from the container init", EPROTO);
  return index;
}

// `id` of the container's user namespace as the host sees it, from the init's
// own map (which covers a joined namespace, whose maps the config lacks).
Result<std::optional<std::uint32_t>> host_id(pid_t init_pid, const char *map, std::uint32_t id) {
  BERTH_TRY_ASSIGN(UniqueFd file,
                   sys::open_path("/proc/" + std::to_string(init_pid) + "/" + map, O_RDONLY));
  BERTH_TRY_ASSIGN(std::string text, sys::read_fd(file.get(), 64 * 1024));
  for (std::string_view line : sys::split_lines(text)) {
    std::uint64_t inside = 0, outside = 0, count = 0;
    if (std::sscanf(std::string(line).c_str(), "%" SCNu64 " %" SCNu64 " %" SCNu64, &inside,
                    &outside, &count) != 3)
      continue;
    if (id >= inside && id - inside < count)
      return std::optional<std::uint32_t>(static_cast<std::uint32_t>(outside + (id - inside)));
  }
  return std::optional<std::uint32_t>();
}

Result<UniqueFd> open_bind_source(const InitContext &ctx, pid_t init_pid,
                                  std::string_view payload) {
  BERTH_TRY_ASSIGN(std::size_t index, parse_index(payload, ctx.config.mounts.size()));
  const auto &source = ctx.config.mounts[index].source;
  if (!source || source->empty())
    return fail("a bind mount needs a source", EINVAL);
  // config.json is trusted: a host path, the bundle's when relative.
  std::string path = source->starts_with('/') ? *source : ctx.bundle + "/" + *source;
  return linux::open_in_mount_namespace_of(init_pid, path);
}

Result<UniqueFd> make_device_node(const InitContext &ctx, pid_t init_pid,
                                  std::string_view payload) {
  const std::size_t count = ctx.config.linux ? ctx.config.linux->devices.size() : 0;
  BERTH_TRY_ASSIGN(std::size_t index, parse_index(payload, count));
  const auto &device = ctx.config.linux->devices[index];
  // The entry's index is in the init's context of this error.
  BERTH_TRY_ASSIGN(auto uid, host_id(init_pid, "uid_map", device.uid.value_or(0)));
  if (!uid)
    return fail("uid " + std::to_string(device.uid.value_or(0)) +
                " is not mapped in the container's user namespace");
  BERTH_TRY_ASSIGN(auto gid, host_id(init_pid, "gid_map", device.gid.value_or(0)));
  if (!gid)
    return fail("gid " + std::to_string(device.gid.value_or(0)) +
                " is not mapped in the container's user namespace");
  return linux::make_detached_device_node(device, *uid, *gid);
}

std::function<Result<UniqueFd>(std::size_t)> requester(const SyncChannel &init_end,
                                                       SyncMessage type) {
  return [&init_end, type](std::size_t index) -> Result<UniqueFd> {
    BERTH_TRY(init_end.send(type, std::to_string(index)));
    return init_end.expect_fd(type);
  };
}

} // namespace

std::function<Result<UniqueFd>(std::size_t index)>
host_bind_source_requester(const SyncChannel &init_end) {
  return requester(init_end, SyncMessage::HostBindSource);
}

std::function<Result<UniqueFd>(std::size_t index)>
host_device_node_requester(const SyncChannel &init_end) {
  return requester(init_end, SyncMessage::HostDeviceNode);
}

Result<void> serve_host_side_request(const InitContext &ctx, pid_t init_pid, SyncMessage type,
                                     std::string_view payload, const SyncChannel &berth_end) {
  auto made = type == SyncMessage::HostBindSource ? open_bind_source(ctx, init_pid, payload)
                                                  : make_device_node(ctx, init_pid, payload);
  if (!made)
    return berth_end.send(SyncMessage::Failed, made.error().message());
  return berth_end.send_fd(type, made->get());
}

} // namespace berth::process
