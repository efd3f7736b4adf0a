#include "process/idmapped_trees.hpp"

#include <fcntl.h>

#include <charconv>
#include <string>

#include "linux/idmapped_mount.hpp"
#include "sys/syscalls.hpp"

namespace berth::process {
namespace {

Result<UniqueFd> build(const InitContext &ctx, pid_t init_pid, std::string_view payload) {
  std::size_t index = 0;
  auto [end, ec] = std::from_chars(payload.data(), payload.data() + payload.size(), index);
  if (ec != std::errc() || end != payload.data() + payload.size() ||
      index >= ctx.config.mounts.size())
    return fail("bad idmapped mount request from the container init", EPROTO);
  BERTH_TRY_ASSIGN(UniqueFd bundle, sys::open_path(ctx.bundle, O_PATH | O_DIRECTORY));
  return linux::create_idmapped_bind(ctx.config.mounts[index], ctx.config, bundle.get(), init_pid);
}

} // namespace

std::function<Result<UniqueFd>(std::size_t index)>
idmapped_tree_requester(const SyncChannel &init_end) {
  return [&init_end](std::size_t index) -> Result<UniqueFd> {
    BERTH_TRY(init_end.send(SyncMessage::IdmappedTree, std::to_string(index)));
    return init_end.expect_fd(SyncMessage::IdmappedTree);
  };
}

Result<void> serve_idmapped_tree(const InitContext &ctx, pid_t init_pid, std::string_view payload,
                                 const SyncChannel &berth_end) {
  auto tree = build(ctx, init_pid, payload);
  if (!tree)
    return berth_end.send(SyncMessage::Failed, tree.error().message());
  return berth_end.send_fd(SyncMessage::IdmappedTree, tree->get());
}

} // namespace berth::process
