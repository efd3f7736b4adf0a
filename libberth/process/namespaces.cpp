#include "process/namespaces.hpp"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>

#include "sys/log.hpp"
#include "sys/syscalls.hpp"
#include "tables/namespaces.hpp"

namespace berth::process {

static_assert(kForChildrenFlags == (CLONE_NEWPID | CLONE_NEWTIME));
static_assert(CLONE_NEWCGROUP == 0x02000000);

bool NamespacePlan::joins(int flag) const {
  for (const auto &ns : joined)
    if (ns.clone_flag == flag)
      return true;
  return false;
}

bool NamespacePlan::needs_staging() const {
  if (joins(CLONE_NEWUSER))
    return true;
  if (!creates(CLONE_NEWUSER))
    return false;
  for (const auto &ns : joined)
    if ((ns.clone_flag & kForChildrenFlags) == 0)
      return true;
  return false;
}

Result<NamespacePlan> NamespacePlan::build(const spec::Config &config) {
  NamespacePlan plan;
  if (!config.linux)
    return plan;
  for (const auto &[clock, offset] : config.linux->time_offsets)
    plan.time_offsets +=
        clock + " " + std::to_string(offset.secs) + " " + std::to_string(offset.nanosecs) + "\n";
  std::size_t index = 0;
  for (const auto &ns : config.linux->namespaces) {
    const auto &info = tables::namespace_info(ns.type);
    std::string where = "/linux/namespaces/" + std::to_string(index++);
    if (!ns.path) {
      plan.new_flags |= info.clone_flag;
      continue;
    }
    auto fd = sys::open_path(*ns.path, O_RDONLY);
    if (!fd)
      return fail(fd.error().context("config.json: " + where + "/path"));
    // A path that is not a namespace, or one of another type, must not be joined.
    int type = ::ioctl(fd->get(), NS_GET_NSTYPE);
    if (type < 0)
      return fail("config.json: " + where + "/path: " + *ns.path + " is not a namespace");
    if (type != info.clone_flag)
      return fail("config.json: " + where + "/path: " + *ns.path + " is not a " +
                  std::string(info.name) + " namespace");
    plan.joined.push_back({ns.type, info.clone_flag, *ns.path, std::move(*fd)});
  }
  return plan;
}

Result<void> NamespacePlan::join(int flags) const {
  // The user namespace first: the others may belong to it.
  for (int pass = 0; pass < 2; ++pass)
    for (const auto &ns : joined) {
      bool is_user = ns.clone_flag == CLONE_NEWUSER;
      if ((pass == 0) != is_user || (ns.clone_flag & flags) == 0)
        continue;
      if (::setns(ns.fd.get(), ns.clone_flag) < 0)
        return fail_errno("join " + std::string(tables::namespace_info(ns.type).name) +
                          " namespace " + ns.path);
    }
  return {};
}

Result<OwnPidNamespace> OwnPidNamespace::open() {
  BERTH_TRY_ASSIGN(UniqueFd fd, sys::open_path("/proc/self/ns/pid", O_RDONLY));
  return OwnPidNamespace(std::move(fd));
}

OwnPidNamespace::~OwnPidNamespace() {
  // Going back to one's own (active) pid namespace is always allowed to root;
  // berth inside a user namespace that does not own it (rootless, under an
  // engine's) is refused, and its later children stay where they were born
  // before: nothing berth relies on.
  if (fd_ && ::setns(fd_.get(), CLONE_NEWPID) < 0)
    log::debug("cannot make berth's own pid namespace its children's again: " +
               std::string(std::strerror(errno)));
}

Result<void> make_time_namespace(const NamespacePlan &plan, bool enter) {
  if (::unshare(CLONE_NEWTIME) < 0)
    return fail_errno("create time namespace");
  // The new namespace is our time_for_children and still empty: the only moment
  // its clocks' offsets can be set.
  BERTH_TRY_CTX(sys::write_file("/proc/self/timens_offsets", plan.time_offsets),
                "set linux.timeOffsets");
  if (!enter)
    return {};
  BERTH_TRY_ASSIGN(UniqueFd ns, sys::open_path("/proc/self/ns/time_for_children", O_RDONLY));
  if (::setns(ns.get(), CLONE_NEWTIME) < 0)
    return fail_errno("enter the new time namespace");
  return {};
}

} // namespace berth::process
