#include "linux/idmapped_mount.hpp"

#include <fcntl.h>

#include "linux/idmap_userns.hpp"
#include "linux/mounts.hpp"
#include "sys/mount_api.hpp"

namespace berth::linux {

Result<UniqueFd> create_idmapped_bind(const spec::Mount &mount, const spec::Config &config,
                                      int bundle_fd, pid_t container_pid) {
  const MountPlan plan = plan_mount(mount);
  if (!plan.bind || !plan.idmap)
    return fail("not an idmapped bind mount", EINVAL);
  if (!mount.source || mount.source->empty())
    return fail("a bind mount needs a source", EINVAL);
  // config.json is trusted: its source is a host path, the bundle's when relative.
  int fd = ::openat(bundle_fd, mount.source->c_str(), O_PATH | O_CLOEXEC);
  if (fd < 0)
    return fail_errno("open " + *mount.source);
  UniqueFd source(fd);
  BERTH_TRY_ASSIGN(UniqueFd userns, open_idmap_userns(mount, config, container_pid));
  BERTH_TRY_ASSIGN(UniqueFd tree, create_bind(source.get(), plan, false));
  sys::MountAttrChange idmap;
  idmap.set = MOUNT_ATTR_IDMAP;
  idmap.userns_fd = userns.get();
  auto mapped = sys::set_mount_attr(tree.get(), idmap, plan.recursive_idmap);
  if (!mapped && mapped.error().errno_value() == EINVAL)
    return fail(
        std::string("the source's filesystem") +
            (plan.recursive_idmap && plan.recursive_bind ? " (or that of a mount below it)" : "") +
            " does not support idmapped mounts",
        EINVAL);
  BERTH_TRY_CTX(std::move(mapped), "idmap " + *mount.source);
  return tree;
}

} // namespace berth::linux
