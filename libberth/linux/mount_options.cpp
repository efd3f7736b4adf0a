#include "linux/mount_options.hpp"

#include "tables/mount_options.hpp"

namespace berth::linux {
namespace {

using tables::MountOptionKind;

// mount(2) flags that have a per-mount attribute of the same meaning.
struct FlagAttr {
  unsigned long flag;
  std::uint64_t attr;
};
constexpr FlagAttr kFlagAttrs[] = {
    {MS_RDONLY, MOUNT_ATTR_RDONLY},         {MS_NOSUID, MOUNT_ATTR_NOSUID},
    {MS_NODEV, MOUNT_ATTR_NODEV},           {MS_NOEXEC, MOUNT_ATTR_NOEXEC},
    {MS_NODIRATIME, MOUNT_ATTR_NODIRATIME}, {MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW},
};

constexpr unsigned long kAtimeFlags = MS_NOATIME | MS_RELATIME | MS_STRICTATIME;

// Superblock flags fsconfig(2) accepts by name.
struct SuperblockFlag {
  unsigned long flag;
  const char *name;
};
constexpr SuperblockFlag kSuperblockFlags[] = {
    {MS_SYNCHRONOUS, "sync"},
    {MS_DIRSYNC, "dirsync"},
    {MS_LAZYTIME, "lazytime"},
    {MS_MANDLOCK, "mand"},
};

std::uint64_t attrs_of(unsigned long flags) {
  std::uint64_t attrs = 0;
  for (const auto &entry : kFlagAttrs)
    if (flags & entry.flag)
      attrs |= entry.attr;
  return attrs;
}

// The access-time mode an option leaves the mount in. Clearing a mode falls back
// to the kernel's default (relatime), except "norelatime", which asks for the
// classic always-update behaviour.
std::uint64_t atime_mode(unsigned long flag, bool clear) {
  if (!clear) {
    if (flag & MS_STRICTATIME)
      return MOUNT_ATTR_STRICTATIME;
    if (flag & MS_NOATIME)
      return MOUNT_ATTR_NOATIME;
    return MOUNT_ATTR_RELATIME;
  }
  return (flag & MS_RELATIME) ? MOUNT_ATTR_STRICTATIME : MOUNT_ATTR_RELATIME;
}

std::uint64_t recursive_atime_mode(std::uint64_t attr, bool clear) {
  if (!clear)
    return attr;
  return attr == MOUNT_ATTR_RELATIME ? MOUNT_ATTR_STRICTATIME : MOUNT_ATTR_RELATIME;
}

void apply_flag(MountPlan &plan, const tables::MountOptionInfo &info) {
  unsigned long flags = info.flags;
  if (flags & MS_BIND) {
    plan.bind = true;
    plan.recursive_bind = plan.recursive_bind || (flags & MS_REC);
    return;
  }
  if (flags & kAtimeFlags)
    plan.atime = atime_mode(flags, info.clear);
  if (info.clear) {
    plan.flags &= ~flags;
    plan.cleared |= flags;
  } else {
    plan.flags |= flags;
    plan.cleared &= ~flags;
  }
}

void apply_recursive(MountPlan &plan, const tables::MountOptionInfo &info) {
  if ((info.attr & ~static_cast<std::uint64_t>(MOUNT_ATTR__ATIME)) == 0) {
    plan.recursive_atime = recursive_atime_mode(info.attr, info.clear);
    return;
  }
  if (info.clear) {
    plan.recursive_set &= ~info.attr;
    plan.recursive_clear |= info.attr;
  } else {
    plan.recursive_set |= info.attr;
    plan.recursive_clear &= ~info.attr;
  }
}

} // namespace

MountPlan plan_mount_options(std::span<const std::string> options) {
  MountPlan plan;
  for (const auto &option : options) {
    const auto *info = tables::find_mount_option(option);
    if (!info) {
      plan.data_options.push_back(option);
      continue;
    }
    switch (info->kind) {
    case MountOptionKind::Flag:
      apply_flag(plan, *info);
      break;
    case MountOptionKind::Propagation:
      plan.propagation.push_back({info->flags, info->recursive});
      break;
    case MountOptionKind::Recursive:
      apply_recursive(plan, *info);
      break;
    case MountOptionKind::Idmap:
      plan.idmap = true;
      plan.recursive_idmap = plan.recursive_idmap || info->recursive;
      break;
    case MountOptionKind::CopyUp:
      plan.tmpcopyup = true;
      break;
    }
  }
  return plan;
}

MountPlan plan_mount(const spec::Mount &mount) {
  MountPlan plan = plan_mount_options(mount.options);
  if (mount.type && *mount.type == "bind")
    plan.bind = true;
  // Mappings without "idmap" or "ridmap" still ask for an idmapped mount
  // (config.md); the mapping then covers what the bind covers.
  if (!plan.idmap && (!mount.uid_mappings.empty() || !mount.gid_mappings.empty())) {
    plan.idmap = true;
    plan.recursive_idmap = plan.recursive_bind;
  }
  return plan;
}

std::string MountPlan::data() const {
  std::string joined;
  for (const auto &option : data_options) {
    if (!joined.empty())
      joined += ',';
    joined += option;
  }
  return joined;
}

unsigned MountPlan::fsmount_attrs() const {
  return static_cast<unsigned>(attrs_of(flags) | atime.value_or(MOUNT_ATTR_RELATIME));
}

sys::MountAttrChange MountPlan::top_attr_change() const {
  sys::MountAttrChange change;
  change.set = attrs_of(flags);
  change.clear = attrs_of(cleared);
  if (atime) {
    change.clear |= MOUNT_ATTR__ATIME;
    change.set |= *atime;
  }
  return change;
}

sys::MountAttrChange MountPlan::recursive_attr_change() const {
  sys::MountAttrChange change;
  change.set = recursive_set;
  change.clear = recursive_clear;
  if (recursive_atime) {
    change.clear |= MOUNT_ATTR__ATIME;
    change.set |= *recursive_atime;
  }
  return change;
}

std::vector<std::string> MountPlan::superblock_flags() const {
  std::vector<std::string> names;
  for (const auto &entry : kSuperblockFlags)
    if (flags & entry.flag)
      names.emplace_back(entry.name);
  return names;
}

unsigned long MountPlan::unsupported_flags() const {
  return flags & (MS_SILENT | MS_I_VERSION | MS_REMOUNT);
}

} // namespace berth::linux
